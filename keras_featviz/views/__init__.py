"""Views on real data: what the classifier does with real images.

- `gradients`: backend-agnostic input gradients (`GradientReader`).
- `attribution`: the six attribution methods (`Attributor`).
- `dataset_search`: dataset examples, the real images each target
  responds to most (`dataset_examples`, `ExampleFinder`).
- `memorization`: memorisation scores, the images nearest each class
  image, and the shift between training and held-out images
  (`MemorizationMeter`).

May import: `io`, `optimization`, and the top-level `defaults`,
`objectives`, `preprocessing`, `surgery` and `validation`; never `makers`,
`callbacks` or `cli`.
"""
