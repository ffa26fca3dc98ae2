"""Callbacks for the optimisation of the generator itself.

Pass them to `FeatureVisualizer.visualize(callbacks=...)`: they see the
coupled model's `fit`, one step per optimisation step.

- `GeneratorImageLogger` writes the images every few steps to TensorBoard,
  to watch a generator converge.
- `ActivationEarlyStopping` stops a target once its activation has stopped
  rising.
"""

from __future__ import annotations

import math
import os

import keras
import numpy as np

from keras_featviz import validation
from keras_featviz.io.tensorboard import EventWriter
from keras_featviz.validation import directory_path, number, positive_int, writable_directory


class GeneratorImageLogger(keras.callbacks.Callback):
    """Write the generated images to TensorBoard every `every_n_steps` steps.

    Each target's image goes under its objective's name (`class_3`,
    `conv2/channel_5`, ...), its activation under `activation/<name>`, at
    step = optimisation step; the last step of each run is always written.
    Steps go on counting across `visualize(..., warm_start=True)` calls of
    the same targets, so a warm-started target continues its curve.

    Args:
        log_dir: Directory of the TensorBoard logs. Defaults to `"logs"`.
        run_name: The run folder inside `log_dir`. Defaults to
            `"generator"`.
        every_n_steps: Int >= 1. Defaults to `10`.

    Example:

    ```python
    logger = keras_featviz.callbacks.GeneratorImageLogger("logs", every_n_steps=5)
    visualizer.visualize([0, 1], steps=200, callbacks=[logger])
    # tensorboard --logdir logs
    ```

    Raises:
        ValueError: for a bad `every_n_steps` or `log_dir`; in
            `on_train_begin`, for a log directory that cannot be written.
    """

    def __init__(
        self, log_dir: str | os.PathLike = "logs", run_name: str = "generator", every_n_steps: int = 10
    ) -> None:
        super().__init__()
        log_dir = directory_path(log_dir, "log_dir")
        self.run_dir = os.path.join(log_dir, validation.run_name(run_name))
        self.every_n_steps = positive_int(every_n_steps, "every_n_steps")
        self.writer: EventWriter | None = None
        self._steps_done: dict[int, int] = {}

    def on_train_begin(self, logs: dict | None = None) -> None:
        chunk = getattr(self.model, "chunk", None)  # a CoupledModel declares it
        if chunk is None:
            raise ValueError(
                "GeneratorImageLogger watches the optimisation of a "
                "FeatureVisualizer: pass it to `visualize(callbacks=...)`, "
                f"not to another model's fit. Received: model={self.model.name!r}"
            )
        if self.writer is None:
            writable_directory(self.run_dir)
            self.writer = EventWriter(self.run_dir)
        self._names = list(chunk.names)
        self._starts = [self._steps_done.get(name, 0) for name in self._names]
        self._batches = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._batches = batch + 1
        self._write([i for i in range(len(self._names)) if self._step(i) % self.every_n_steps == 0])

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._batches:
            self._write([i for i in range(len(self._names)) if self._step(i) % self.every_n_steps != 0])
        for i, name in enumerate(self._names):
            self._steps_done[name] = self._step(i)
        if self.writer is not None:
            self.writer.flush()

    def _step(self, index):
        """Target `index`'s own step: a warm-started target goes on counting."""
        return self._starts[index] + self._batches

    def _write(self, indices):
        if not indices:
            return
        chunk = self.model.chunk
        outputs = self.model(chunk.f0, training=False)
        images = np.round(keras.ops.convert_to_numpy(outputs["pixels"])).astype("uint8")
        values = keras.ops.convert_to_numpy(self.model.activations(chunk.readout_targets, outputs))
        for i in indices:
            name, step = self._names[i], self._step(i)
            self.writer.images(name, images[i : i + 1], step=step)
            self.writer.scalar(f"activation/{name}", values[i], step=step)

    def close(self) -> None:
        """Close the event file (a later step opens a new one)."""
        if self.writer is not None:
            self.writer.close()


class ActivationEarlyStopping(keras.callbacks.Callback):
    """Stop optimising once the target activation has stopped rising.

    Watches the `activation` the coupled model reports each step (the mean
    over the targets trained together) and stops that run after `patience`
    steps without a gain of more than `min_delta`. A target that has not
    yet become active (activation 0, still climbing towards it on its
    log-probability) is never stopped for that.

    Args:
        patience: Int >= 1, steps without improvement before stopping.
            Defaults to `30`.
        min_delta: Float >= 0, the smallest gain that counts. Defaults to
            `0.0`.

    Example:

    ```python
    stop = keras_featviz.callbacks.ActivationEarlyStopping(patience=20)
    visualizer.visualize(range(10), steps=1000, callbacks=[stop])
    ```

    Raises:
        ValueError: for a bad `patience` or `min_delta`.
    """

    def __init__(self, patience: int = 30, min_delta: float = 0.0) -> None:
        super().__init__()
        min_delta = number(min_delta, "min_delta", minimum=0)
        self.patience = positive_int(patience, "patience")
        self.min_delta = float(min_delta)
        self.stopped_steps: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.best = -math.inf
        self.wait = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        value = float((logs or {}).get("activation", math.nan))
        if not math.isfinite(value):
            return
        if value > self.best + self.min_delta:
            self.best, self.wait = value, 0
        elif value > 0:
            self.wait += 1
            if self.wait >= self.patience:
                self.model.stop_training = True
                self.stopped_steps.append(batch + 1)
