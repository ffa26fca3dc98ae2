"""Where targets run: the `devices` rule, sweeps sharded across simulated JAX
devices, and the training callbacks under MirroredStrategy and DataParallel.

The multi-device runs need their devices set before the backend loads, so
they run `distributed_sweep.py` and `distributed_fit.py` in fresh processes.
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_featviz import FeatureVisualizer, devices

HERE = os.path.dirname(os.path.abspath(__file__))


def run_script(name, *args, timeout=600):
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=HERE)
    completed = subprocess.run(
        [sys.executable, os.path.join(HERE, name), *map(str, args)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]


def report(folder):
    with open(os.path.join(folder, "report.json")) as handle:
        return json.load(handle)


@pytest.mark.parametrize("value", ["two", 0, -1, True, 1.5, [0, 1]])
def test_a_bad_devices_value_is_refused_by_name(value):
    with pytest.raises(ValueError) as error:
        devices.check_devices(value)
    assert str(error.value).startswith("`devices` must be 'auto', 'all', None (one device), a number")
    assert str(error.value).endswith(f"Received: devices={value!r}")


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="the other backends run on one device")
def test_other_backends_run_on_their_own_device_and_refuse_several(trained_classifier):
    assert devices.target_parallel("all") is None
    assert devices.target_parallel("auto") is None
    visualizer = FeatureVisualizer(trained_classifier, devices="all")
    assert visualizer.shards == 1 and visualizer.parallel is None
    with pytest.raises(ValueError, match=r"needs the JAX backend .* Received: backend="):
        FeatureVisualizer(trained_classifier, devices=2)


def test_a_sweep_sharded_over_four_devices_makes_the_same_images(tmp_path):
    run_script("distributed_sweep.py", 4, tmp_path)
    found = report(tmp_path)
    for generator in ("scratch", "pretrained", "fourier"):
        figures = found[generator]
        assert figures["shards"] == 4
        # Every per-target weight is cut along the targets; the classifier is whole on each device.
        assert all(spec.startswith("P('targets'") for spec in figures["generator"]), figures
        assert not any("targets" in spec for spec in figures["classifier"]), figures
        # The same images, up to float rounding of sums cut differently: at most one grey level.
        assert figures["max"] <= 1, (generator, figures)
        assert figures["mean"] < 0.01, (generator, figures)
    assert found["fourier"]["max"] == 0 and found["pretrained"]["max"] == 0
    assert found["auto_under_data_parallel"] == 4


@pytest.mark.slow
@pytest.mark.parametrize("backend,count", [("tensorflow", 2), ("jax", 4)])
def test_the_callbacks_under_distributed_training(tmp_path, backend, count):
    """MirroredStrategy on 2 logical CPUs (TensorFlow), DataParallel on 4 simulated
    devices (JAX): the same tags and images as on one device, training unchanged."""
    one, many = tmp_path / "one", tmp_path / "many"
    one.mkdir(), many.mkdir()
    run_script("distributed_fit.py", backend, 1, one)
    run_script("distributed_fit.py", backend, count, many)
    alone, spread = report(one), report(many)
    assert spread["plain"] == spread["watched"], "the callbacks changed the distributed training"
    assert alone["plain"] == alone["watched"]
    assert spread["tags"] == alone["tags"]
    assert {"featviz", "attribution", "memorization"} <= set(spread["tags"])
    images_alone, images_spread = np.load(one / "images.npz"), np.load(many / "images.npz")
    assert sorted(images_alone.files) == sorted(images_spread.files) and images_alone.files
    for name in images_alone.files:
        # Float rounding of sums over other batch sizes can grow over the 40
        # warm-started steps in a few pixels (JAX: mean 2.2 of 255 on one class
        # of 3, the others identical); another image would differ by tens.
        difference = np.abs(images_alone[name].astype(int) - images_spread[name].astype(int))
        assert difference.mean() < 4, name
