"""TensorBoard event files: the one module that imports TensorFlow.

`EventWriter` writes images, labelled grids and scalars to one TensorBoard
run folder. TensorFlow's `tf.summary` is imported the first time something
is written, so the rest of keras-featviz runs on any Keras backend, and a
writer that never writes never creates a file. Everything it is given is
NumPy already. `in_distribution_strategy` tells `devices.run_apart` whether
a callback runs inside a user's `tf.distribute` strategy, and
`quiet_retracing` silences TensorFlow's retracing warning while a callback's
own models are built.
"""

import contextlib
import logging
import os
import sys
import warnings

import numpy as np

from keras_featviz import defaults

MISSING_TENSORFLOW = (
    "Writing TensorBoard files needs TensorFlow's summary writer, on every Keras backend "
    "(JAX and PyTorch included): pip install tensorflow-cpu, or keras-featviz[tensorflow]. "
    "The images are also in the result (`Visualization.save`, `image_dir=`)."
)


class _NotRetracing(logging.Filter):
    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def quiet_retracing():
    """Within: TensorFlow's "triggered tf.function retracing" warning is not logged.

    TensorFlow counts the traces of every model's predict step together
    (they share one code object), so the first trace of each new model a
    callback builds reads as retracing: with the three callbacks in one
    `fit`, it warned twice in three one-second epochs. Those traces are
    expected, once per model; the user's own retracing, outside, still warns.
    """
    logger, quiet = logging.getLogger("tensorflow"), _NotRetracing()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


# Sheets laid out for TensorBoard's cards (see `defaults.TENSORBOARD_COLUMNS`).
TENSORBOARD_LAYOUT = {"tile": defaults.TENSORBOARD_TILE, "columns": defaults.TENSORBOARD_COLUMNS}


def import_tensorflow(quiet=False):
    """TensorFlow, imported, with a clear error when it is not installed.

    Args:
        quiet: Bool: hide the lines TensorFlow's C++ side writes to the
            process's stderr while it loads (CUDA probes, absl); for the
            command line, whose stderr should hold its own messages only.
            Defaults to `False`.

    Raises:
        ImportError: naming what to install, when TensorFlow is missing.
    """
    if "tensorflow" not in sys.modules and quiet:
        with _stderr_silenced():
            try:
                import tensorflow  # noqa: F401
            except ImportError:
                pass  # raised again below, with stderr back
    try:
        import tensorflow as tf
    except ImportError as error:
        raise ImportError(MISSING_TENSORFLOW) from error
    return tf


def in_distribution_strategy():
    """Whether the caller runs inside a `tf.distribute` strategy's scope.

    Only asked on the TensorFlow backend, which has loaded TensorFlow.
    """
    return import_tensorflow().distribute.has_strategy()


@contextlib.contextmanager
def _stderr_silenced():
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class EventWriter:
    """Images and scalars for one TensorBoard run, written on first use.

    Args:
        log_dir: The run folder (TensorBoard shows it as a run named after
            its path below the `--logdir` it is given).

    Example:

    ```python
    writer = EventWriter("logs/featviz")
    writer.images("circle", images, step=0)   # uint8 (N, H, W, C)
    writer.scalar("activation/circle", 3.2, step=0)
    writer.close()
    ```
    """

    def __init__(self, log_dir):
        self.log_dir = os.fspath(log_dir)
        self._writer = None

    def _summary_writer(self):
        if self._writer is None:
            self._writer = import_tensorflow().summary.create_file_writer(self.log_dir)
        return self._writer

    def images(self, tag, images, step, description=None):
        """Write uint8 images `(N, H, W, C)` (C = 1, 3 or 4) under `tag`."""
        tf = import_tensorflow()
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[None]
        with self._summary_writer().as_default():
            tf.summary.image(
                tag,
                images.astype("uint8"),
                step=int(step),
                max_outputs=len(images),
                description=description,
            )

    def scalar(self, tag, value, step, description=None):
        """Write one float under `tag`."""
        tf = import_tensorflow()
        with self._summary_writer().as_default():
            tf.summary.scalar(tag, float(value), step=int(step), description=description)

    def flush(self):
        """Make what was written readable now (an interrupted run keeps it)."""
        if self._writer is not None:
            self._writer.flush()

    def close(self):
        """Flush and close the file; a later write opens a new one."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def unique_tags(labels):
    """Labels as TensorBoard tags, a repeated one suffixed `_2`, `_3`, ..."""
    seen, tags = {}, []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        tags.append(label if seen[label] == 1 else f"{label}_{seen[label]}")
    return tags


def log_visualization(writer, result, step, tags=None):
    """Write a `Visualization` at `step`: images, grid and scalars.

    One image per target under its tag, the labelled grid under `grid`,
    `activation/<tag>`, `probability/<tag>` (single-class targets: the
    probability of that class on its image) and `success_rate` (share of
    single-class targets ranked first). Flushed, so a run that stops later
    keeps it. A value that is not finite (NaN, inf) is not written as a
    scalar: a warning names it instead.

    Args:
        writer: An `EventWriter`.
        result: A `Visualization`.
        step: Int, the TensorBoard step (the epoch in training callbacks).
        tags: Optional list of one tag per target; the result's labels by
            default (a repeated one suffixed `_2`, ...). Defaults to `None`.
    """
    tags = unique_tags(result.labels) if tags is None else list(tags)
    scalars = {}
    for i, tag in enumerate(tags):
        writer.images(tag, result.images[i : i + 1], step=step)
        scalars[f"activation/{tag}"] = result.activations[i]
        target = result.target_classes[i]
        if target >= 0:
            scalars[f"probability/{tag}"] = result.probabilities[i, target]
    for n, sheet in enumerate(result.grids(**TENSORBOARD_LAYOUT)):
        writer.images("grid" if n == 0 else f"grid_{n}", np.asarray(sheet)[None], step=step)
    if not np.isnan(result.success_rate):
        scalars["success_rate"] = result.success_rate
    _write_finite(writer, scalars, step)
    writer.flush()


def _write_finite(writer, scalars, step):
    """Write the finite scalars; warn once about the others."""
    bad = {tag: float(value) for tag, value in scalars.items() if not np.isfinite(value)}
    for tag, value in scalars.items():
        if tag not in bad:
            writer.scalar(tag, value, step=step)
    if bad:
        shown = ", ".join(f"{tag}={value}" for tag, value in list(bad.items())[:5])
        warnings.warn(
            f"keras-featviz: {len(bad)} scalars at step {step} are not finite and are not written "
            f"({shown}{', ...' if len(bad) > 5 else ''}): the classifier's output on these images "
            "overflowed or is NaN.",
            RuntimeWarning,
            stacklevel=3,
        )
