"""The loop: how a chunk of targets is optimised, reset and warm-started.

- `ChunkTrainer` holds one compiled `CoupledModel` sized for a number of
  targets per step, its initial state, and trains one chunk of targets at
  a time with Keras' `fit` (when callbacks or a progress bar watch) or
  `train_on_batch` (when nothing does).
- `WarmStates` keeps each target's latest generator state, for
  `visualize(warm_start=True)` and the training callbacks.

In a batched trainer every trainable variable holds one row per target
(`alpha`, or a whole batched scratch generator), so a target's state is
its row of each variable; otherwise (a user's generator whose own weights
train, one target at a time) it is the variables themselves.
"""

import time

import keras
import numpy as np

from keras_featviz.optimization.coupled import Chunk


class WarmStates:
    """Each target's latest generator state, keyed by its objective."""

    def __init__(self):
        self._states = {}

    def get(self, objective):
        """The kept state of `objective` (a list of arrays), or `None`."""
        return self._states.get(objective)

    def put(self, objective, state):
        self._states[objective] = state

    def items(self):
        """`(objective, state)` pairs."""
        return self._states.items()

    def clear(self):
        self._states.clear()

    def __len__(self):
        return len(self._states)


class _RepeatedBatch(keras.utils.PyDataset):
    """The same `(f0, y)` batch, `steps` times: one epoch of `fit`."""

    def __init__(self, x, y, steps):
        super().__init__()
        self.x, self.y, self.steps = x, y, steps

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        return self.x, self.y


def check_finite_loss(logs, step, names):
    """Raise if the step's loss is not finite.

    Raises:
        FloatingPointError: naming the step and the targets.
    """
    loss = float((logs or {}).get("loss", 0.0))
    if not np.isfinite(loss):
        raise FloatingPointError(
            f"The visualization loss became non-finite at step {step} "
            f"for targets {names}: lower the learning rate or the "
            f"penalty, or check the classifier. Received: loss={loss}"
        )


class _StopOnNonFinite(keras.callbacks.Callback):
    def __init__(self, names):
        super().__init__()
        self.names = names

    def on_train_batch_end(self, batch, logs=None):
        check_finite_loss(logs, batch + 1, self.names)


class ChunkTrainer:
    """A compiled coupled model that trains chunks of up to `targets_per_step` targets.

    Args:
        model: A compiled, built `CoupledModel`.
        targets_per_step: Int, the rows of the model's generator.
        batched: Bool, whether each trainable variable holds one row per
            target (see the module docstring).
        keeps_moments: Bool, whether a chunk that trains again in place
            keeps its optimizer's moments (see `GeneratorSource`).
    """

    def __init__(self, model, targets_per_step, batched, keeps_moments):
        self.model = model
        self.targets_per_step = targets_per_step
        self.f0 = np.ones((targets_per_step, model.generator.input_shape[-1]), "float32")
        self.batched = batched
        self.keeps_moments = keeps_moments
        self.initial = [v.numpy() for v in model.trainable_variables]
        self.initial_optimizer = [v.numpy() for v in model.optimizer.variables]
        # The random transforms' and the feature noise's seed states: a fresh
        # run restarts them, so the same targets and seed make the same
        # images whatever ran before (an atlas resumed after a kill).
        self.random_states = [v for v in model.non_trainable_variables if v.name == "seed_generator_state"]
        self.initial_random = [v.numpy() for v in self.random_states]
        self.resident = None  # (objective, state) pairs of the warm states the variables hold

    def run(self, objectives, plan, indices, steps, warm_start, warm_states, verbose, callbacks):
        """Train the targets `objectives[indices]` together for `steps` steps.

        Returns:
            `(outputs, step_seconds)`: the images, activations and logits
            of the chunk, and the seconds one step took.
        """
        chunk_objectives = [objectives[i] for i in indices]
        names = [o.name for o in chunk_objectives]
        self.restore(chunk_objectives, warm_start, warm_states)
        y = self.readout_targets(plan, indices)
        self.model.start_chunk(Chunk(names, self.f0, y))
        step_seconds = self._train(y, names, steps, verbose, callbacks)
        if warm_start:
            self.remember(chunk_objectives, warm_states)
        return self.outputs(y, len(indices), names), step_seconds

    def _train(self, y, names, steps, verbose, callbacks):
        begun = time.perf_counter()
        if callbacks or verbose:
            self.model.fit(
                _RepeatedBatch(self.f0, y, steps),
                epochs=1,
                verbose=verbose,
                callbacks=list(callbacks) + [_StopOnNonFinite(names)],
                shuffle=False,  # one repeated batch: nothing to shuffle, no global RNG draw
            )
            return (time.perf_counter() - begun) / steps
        # Nothing watches: the same compiled step without `fit`'s setup,
        # which costs as much as the 10 steps of a callback epoch.
        durations = []
        for step in range(1, steps + 1):
            logs = self.model.train_on_batch(self.f0, y, return_dict=True)
            check_finite_loss(logs, step, names)
            durations.append(time.perf_counter() - begun)
            begun = time.perf_counter()
        return float(np.median(durations))  # the median leaves out a first step's tracing

    def restore(self, objectives, warm_start, warm_states):
        """Set the variables to each target's kept state, or the initial one."""
        resident, self.resident = self.resident, None  # training will move them
        if not warm_start:
            for variable, value in zip(self.random_states, self.initial_random):
                variable.assign(value)
        in_place = warm_start and self._holds(resident, objectives, warm_states)
        if not (in_place and self.keeps_moments):
            for variable, value in zip(self.model.optimizer.variables, self.initial_optimizer):
                variable.assign(value)
        if in_place:
            return  # the chunk of the last warm call again: its states are in place
        states = [warm_states.get(o) if warm_start else None for o in objectives]
        values = [np.array(value) for value in self.initial]
        for row, state in enumerate(states):
            if state is None:
                continue
            if self.batched:
                for value, saved in zip(values, state):
                    value[row] = saved
            else:
                values = state
        for variable, value in zip(self.model.trainable_variables, values):
            variable.assign(value)

    @staticmethod
    def _holds(resident, objectives, warm_states):
        """Whether the variables hold `warm_states`' very states of `objectives`."""
        return (
            resident is not None
            and [o for o, _ in resident] == list(objectives)
            and all(warm_states.get(o) is state for o, state in resident)
        )

    def remember(self, objectives, warm_states):
        """Keep each target's current state in `warm_states`."""
        values = [v.numpy() for v in self.model.trainable_variables]
        if not self.batched:
            warm_states.put(objectives[0], values)
        else:
            for row, objective in enumerate(objectives):
                warm_states.put(objective, [value[row] for value in values])
        self.resident = [(o, warm_states.get(o)) for o in objectives]

    def readout_targets(self, plan, indices):
        """The `y` of `CoupledModel` for the targets `indices` of `plan`, padded."""
        weights = np.zeros((self.targets_per_step, plan.width), "float32")
        others = np.zeros((self.targets_per_step, plan.num_classes), "float32")
        weights[: len(indices)] = plan.weights[indices]
        others[: len(indices)] = plan.others[indices]
        return {"weights": weights, "others": others}

    def outputs(self, y, count, names):
        """The chunk's images (uint8), activations and logits, now.

        Raises:
            FloatingPointError: if the images or logits are non-finite.
        """
        # The compiled predict step: an eager call through a batched scratch
        # generator costs more than the few training steps of a callback epoch.
        y_pred = self.model.predict_on_batch(self.f0)
        images = keras.ops.convert_to_numpy(y_pred["pixels"])[:count]
        logits = keras.ops.convert_to_numpy(y_pred["logits"])[:count]
        activations = keras.ops.convert_to_numpy(self.model.activations(y, y_pred))[:count]
        if not (np.isfinite(images).all() and np.isfinite(logits).all()):
            raise FloatingPointError(
                f"The generated images or their logits are non-finite for "
                f"targets {names}. Received: non-finite values"
            )
        return np.round(images).astype("uint8"), activations, logits
