"""TensorBoard event files: the one module that imports TensorFlow.

`EventWriter` writes images, labelled grids and scalars to one TensorBoard
run folder. TensorFlow's `tf.summary` is imported the first time something
is written, so the rest of keras-featviz runs on any Keras backend, and a
writer that never writes never creates a file. Everything it is given is
NumPy already.
"""

import os

import numpy as np


def check_writable(directory, name="log_dir"):
    """Create `directory` if needed and check that files can be made in it.

    Raises:
        ValueError: if the directory cannot be created or written to.
    """
    directory = os.fspath(directory)
    try:
        os.makedirs(directory, exist_ok=True)
        probe = os.path.join(directory, ".keras_featviz_write_check")
        with open(probe, "w") as handle:
            handle.write("")
        os.remove(probe)
    except OSError as error:
        raise ValueError(
            f"Cannot write files in {directory!r} ({error.strerror or error}). "
            f"Received: {name}={directory!r}"
        ) from error
    return directory


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
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(self.log_dir)
        return self._writer

    def images(self, tag, images, step, description=None):
        """Write uint8 images `(N, H, W, C)` (C = 1, 3 or 4) under `tag`."""
        import tensorflow as tf

        images = np.asarray(images)
        if images.ndim == 3:
            images = images[None]
        with self._summary_writer().as_default():
            tf.summary.image(
                tag, images.astype("uint8"), step=int(step),
                max_outputs=len(images), description=description,
            )

    def scalar(self, tag, value, step, description=None):
        """Write one float under `tag`."""
        import tensorflow as tf

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
