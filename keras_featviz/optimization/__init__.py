"""The optimisation: how a chunk of targets trains its images.

- `coupled`: Eq. 2 as `keras.Model.compute_loss`, the generator coupled to
  the frozen classifier, and what each objective reads.
- `loop`: the compiled `ChunkTrainer`, its reset, and each target's kept
  `WarmStates`.
- `optimizers`: the default, Table 1's or the user's optimizer.
- `memory`: how many targets fit in one step under the memory budget.
- `transforms`: the random shift, zoom and rotation at every step.

May import: `makers`, and the top-level `defaults`, `objectives`,
`surgery` and `validation`; never `views`, `callbacks` or `cli`.
"""
