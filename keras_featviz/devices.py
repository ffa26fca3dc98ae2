"""Devices: where a sweep of targets runs, and which share a process takes.

- `TargetParallel`: a `keras.distribution.ModelParallel` that shards the
  target axis across a device mesh: every per-target weight of the
  generator (one row per target: the scratch generator's batched kernels,
  the scale vector `alpha` of pretrained mode, an image's own pixels or
  spectrum) and the rows of the feature vector and readout targets are cut
  along their first axis; the classifier's copy, a pretrained decoder and
  everything else are replicated. The targets never exchange anything, so
  the sweep is embarrassingly parallel and one device or many give the same
  images.
- `target_parallel(devices)`: what `FeatureVisualizer(devices=...)` takes,
  resolved to a `TargetParallel` or `None` (one device).
- `scope(parallel)`: the distribution the visualizer builds and runs under.
- `process_share()`: this process's index and the process count of a
  multi-process JAX job (`keras.distribution.initialize`), which split a
  sweep between them (`keras_featviz.atlas`).
- `run_apart(function)`: a training callback's work, outside the user's
  `tf.distribute` strategy.

`keras.distribution` runs on the JAX backend only; on TensorFlow and
PyTorch a sweep runs on the backend's default device.
"""

from __future__ import annotations

import contextlib
import numbers
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

import keras

from keras_featviz import defaults

# The mesh axis the targets are cut along.
TARGET_AXIS = "targets"


T = TypeVar("T")


def on_jax() -> bool:
    return keras.backend.backend() == "jax"


def local_devices() -> list:
    """This process's devices, as `keras.distribution` names them (`"gpu:0"`).

    In a multi-process JAX job `keras.distribution.list_devices()` lists
    every process's devices; a sweep shards over the local ones only, since
    each process runs its own share of the targets (`process_share`).
    """
    import jax  # the JAX backend is loaded: only called there

    return [f"{device.platform}:{device.id}" for device in jax.local_devices()]


def process_share() -> tuple[int, int]:
    """`(index, count)` of this process among the processes of the job.

    `(0, 1)` on one process and on backends other than JAX.
    """
    if not on_jax():
        return 0, 1
    import jax

    return jax.process_index(), jax.process_count()


class TargetParallel(keras.distribution.ModelParallel):
    """Shards a sweep's targets across devices; replicates the classifier.

    A `keras.distribution` distribution (JAX backend) whose data layout cuts
    the first axis (the targets) across a one-axis mesh, and whose variable
    layout cuts the first axis of the variables created inside
    `per_target(rows)` when it has `rows` entries, and replicates every
    other variable.

    Args:
        devices: The devices, as `keras.distribution.list_devices()` names
            them; `None` for every device of this process. Defaults to
            `None`.

    Example:

    ```python
    # JAX backend; on a CPU, simulate devices before JAX loads:
    # XLA_FLAGS=--xla_force_host_platform_device_count=4
    visualizer = FeatureVisualizer(model, devices=TargetParallel())
    result = visualizer.visualize(list(range(1000)))
    ```

    Raises:
        ValueError: on a backend other than JAX, or for no devices.
    """

    def __init__(self, devices: Any = None) -> None:
        if not on_jax():
            raise ValueError(
                "Sharding targets across devices needs the JAX backend (keras.distribution); "
                f"set KERAS_BACKEND=jax. Received: backend={keras.backend.backend()!r}"
            )
        devices = list(local_devices() if devices is None else devices)
        if not devices:
            raise ValueError(f"`devices` must name at least one device. Received: devices={devices!r}")
        mesh = keras.distribution.DeviceMesh((len(devices),), [TARGET_AXIS], devices)
        super().__init__(layout_map=keras.distribution.LayoutMap(mesh), batch_dim_name=TARGET_AXIS)
        self._rows: int | None = None

    @property
    def shards(self) -> int:
        """The number of devices the targets are cut across."""
        return self.device_mesh.shape[0]

    @contextlib.contextmanager
    def per_target(self, rows: int) -> Any:
        """Shard the variables created inside whose first axis has `rows` entries."""
        self._rows = rows
        try:
            with self.scope():
                yield
        finally:
            self._rows = None

    def get_data_layout(self, data_shape: tuple) -> Any:
        return self._first_axis(len(data_shape))

    def get_variable_layout(self, variable: Any) -> Any:
        if getattr(variable, "_layout", None) is not None:
            return variable._layout  # an optimizer slot: its variable's layout
        shape = tuple(variable.shape)
        if self._rows is not None and shape and shape[0] == self._rows:
            return self._first_axis(len(shape))
        return keras.distribution.TensorLayout([None] * len(shape), self.device_mesh)

    def get_tensor_layout(self, path: str) -> Any:
        return None

    def _first_axis(self, rank):
        return keras.distribution.TensorLayout([TARGET_AXIS] + [None] * (rank - 1), self.device_mesh)


def check_devices(devices: Any) -> Any:
    """`devices` if it is a value `FeatureVisualizer(devices=)` takes.

    Raises:
        ValueError: for anything but `"auto"`, `"all"`, `None`, an integer
            >= 1, a `keras.distribution.DeviceMesh` or `Distribution`.
    """
    if devices is None or (isinstance(devices, str) and devices in (defaults.DEVICES, "all")):
        return devices
    if isinstance(devices, numbers.Integral) and not isinstance(devices, bool) and int(devices) >= 1:
        return int(devices)
    if isinstance(
        devices,
        (keras.distribution.DeviceMesh, keras.distribution.DataParallel, keras.distribution.ModelParallel),
    ):
        return devices
    raise ValueError(
        "`devices` must be 'auto', 'all', None (one device), a number of devices >= 1, a "
        "keras.distribution.DeviceMesh or a keras.distribution distribution. "
        f"Received: devices={devices!r}"
    )


def target_parallel(devices: Any = defaults.DEVICES) -> TargetParallel | None:
    """What `FeatureVisualizer(devices=...)` means: a `TargetParallel` or `None`.

    Args:
        devices: `"auto"`: the devices of the `keras.distribution`
            distribution set when this is called (a user training with
            `DataParallel`), else one device; `"all"`: every device of this
            process; `None`: one device; an int: the first that many
            devices; a `keras.distribution.DeviceMesh` or distribution: its
            devices; a `TargetParallel`: as it is. Defaults to
            `defaults.DEVICES` (`"auto"`).

    Returns:
        A `TargetParallel` over two or more devices, or `None` where the
        sweep runs on one device.

    Raises:
        ValueError: for a bad value, more devices than there are, or
            several devices on a backend other than JAX.
    """
    devices = check_devices(devices)
    if isinstance(devices, TargetParallel):
        return devices if devices.shards > 1 else None
    if devices is None or devices == 1:
        return None
    if not on_jax():
        if isinstance(devices, str):
            return None  # "auto" and "all": the backend's own device
        return TargetParallel()  # raises, naming the backend
    if devices == defaults.DEVICES:
        current = keras.distribution.distribution()
        if current is None:
            return None
        names = list(current.device_mesh.devices.flatten())
    elif devices == "all":
        names = local_devices()
    elif isinstance(devices, int):
        available = local_devices()
        if devices > len(available):
            raise ValueError(
                f"`devices` must be at most the {len(available)} devices of this process "
                f"({', '.join(available)}). Received: devices={devices}"
            )
        names = available[:devices]
    elif isinstance(devices, keras.distribution.DeviceMesh):
        names = list(devices.devices.flatten())
    else:
        names = list(devices.device_mesh.devices.flatten())
    return TargetParallel(names) if len(names) > 1 else None


@contextlib.contextmanager
def _no_distribution():
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(previous)


def scope(parallel: TargetParallel | None, rows: int | None = None) -> Any:
    """The distribution to build and run the visualizer's models under.

    `parallel`'s scope (with `rows`: sharding the per-target variables made
    inside), or one device even while the user's own distribution is set:
    the visualizer's models are its own, and a user's `DataParallel` would
    cut a chunk of targets that does not divide by its devices.
    """
    if parallel is not None:
        return parallel.per_target(rows) if rows is not None else parallel.scope()
    if on_jax() and keras.distribution.distribution() is not None:
        return _no_distribution()
    return contextlib.nullcontext()


def _in_tf_strategy():
    if keras.backend.backend() != "tensorflow":
        return False
    from keras_featviz.io.tensorboard import in_distribution_strategy

    return in_distribution_strategy()


def run_apart(function: Callable[[], T]) -> T:
    """`function()`, outside any `tf.distribute` strategy the caller is in.

    A callback runs inside the user's `MirroredStrategy` scope when `fit`
    is called in it. The visualizer's own models must not be mirrored:
    made there, every `*_on_batch` call would run on each replica and
    return one batch per replica. A strategy's scope belongs to its thread,
    so the function then runs in a worker thread while the caller waits;
    elsewhere it runs as it is.

    TensorFlow's warning that the callback's models retrace is silenced
    meanwhile (`tensorboard.quiet_retracing`).

    Returns:
        What `function` returns; what it raises is raised here.
    """
    from keras_featviz.io.tensorboard import quiet_retracing

    if not _in_tf_strategy():
        with quiet_retracing():
            return function()
    outcome = {}

    def work():
        try:
            with quiet_retracing():
                outcome["value"] = function()
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=work, name="keras-featviz")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return cast(T, outcome.get("value"))
