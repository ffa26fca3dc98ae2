"""Transforms: random shift, zoom and rotation, in training only."""

import re

import keras
import numpy as np
import pytest

from keras_featviz.optimization import transforms
from keras_featviz.optimization.transforms import RandomAffine
from keras_featviz.visualizer import FeatureVisualizer

from conftest import tiny_classifier

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def _image():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 255, (2, 24, 24, 3)).astype("float32")


def test_inference_leaves_the_image_alone():
    x = _image()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(RandomAffine(seed=0)(x, training=False)), x)


def test_training_moves_every_image_differently_and_keeps_its_shape():
    x = np.concatenate([_image()[:1]] * 2)
    y = keras.ops.convert_to_numpy(RandomAffine(seed=0)(x, training=True))
    assert y.shape == x.shape
    assert not np.allclose(y[0], x[0]) and not np.allclose(y[0], y[1])
    assert 0 <= y.min() and y.max() <= 255  # bilinear, reflected border: no new values


def test_no_motion_is_the_identity():
    x = _image()
    still = RandomAffine(shift=0, scale=(1, 1), degrees=0, seed=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(still(x, training=True)), x, atol=1e-3)


def test_a_constant_fill_brings_in_the_fill_value_where_the_image_shrinks():
    x = _image()
    shrink = RandomAffine(shift=0, scale=(0.5, 0.5), degrees=0, seed=0, fill_mode="constant", fill_value=7.0)
    y = keras.ops.convert_to_numpy(shrink(x, training=True))
    np.testing.assert_allclose(y[:, :3, :3], 7.0)  # the corners come from beyond the border
    assert np.all(y[:, 10:14, 10:14] != 7.0)  # the centre is the image, halved
    copy = RandomAffine.from_config(shrink.get_config())
    assert (copy.fill_mode, copy.fill_value) == ("constant", 7.0)
    reflected = keras.ops.convert_to_numpy(
        RandomAffine(shift=0, scale=(0.5, 0.5), degrees=0)(x, training=True)
    )
    assert not np.allclose(reflected[:, :3, :3], 7.0)


def _moves(count, side, seed=1):
    """The eight projective numbers of random similarity moves, as `RandomAffine` draws them."""
    rng = np.random.default_rng(seed)
    angle, zoom = rng.uniform(-0.5, 0.5, count), rng.uniform(0.6, 1.8, count)
    shift = rng.uniform(-side / 5, side / 5, (2, count))
    cos, sin, centre = np.cos(angle) / zoom, np.sin(angle) / zoom, (side - 1) / 2
    zeros = np.zeros(count)
    columns = [
        cos,
        sin,
        centre - (cos + sin) * centre + shift[0],
        -sin,
        cos,
        centre + (sin - cos) * centre + shift[1],
    ]
    return np.stack(columns + [zeros, zeros], axis=1).astype("float32")


@pytest.mark.parametrize("fill_mode", transforms.FILL_MODES)
def test_gathered_resampling_equals_the_backends_kernel(fill_mode):
    x, moves = _image(), _moves(2, 24)
    native = keras.ops.image.affine_transform(
        x, moves, interpolation="bilinear", fill_mode=fill_mode, fill_value=9.0
    )
    gathered = transforms._gathered_bilinear(keras.ops.convert_to_tensor(x), moves, fill_mode, 9.0)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(gathered), keras.ops.convert_to_numpy(native), atol=1e-3
    )


@pytest.mark.skipif(keras.backend.backend() == "torch", reason="XLA compiles on TensorFlow and JAX")
def test_a_step_compiled_with_xla_takes_the_transforms():
    # TensorFlow's affine kernel has no XLA version: jit_compile=True with the
    # default transforms failed to compile before the gathered resampling.
    visualizer = FeatureVisualizer(tiny_classifier(), jit_compile=True, transforms="standard", seed=0)
    result = visualizer.visualize([0, 1], steps=3, verbose=0)
    assert result.images.shape[0] == 2 and np.all(np.isfinite(result.images))
    assert transforms.runs_under_xla(True) and not transforms.runs_under_xla(False)
    assert transforms.get("strong", xla=True).resampling == "gather"
    assert transforms.get("strong").resampling == "native"


def test_bad_arguments():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`fill_mode` must be one of ['reflect', 'nearest', 'constant']. Received: fill_mode='wrap'"
        ),
    ):
        RandomAffine(fill_mode="wrap")
    with pytest.raises(
        ValueError,
        match=re.escape("`resampling` must be one of ['native', 'gather']. Received: resampling='cubic'"),
    ):
        RandomAffine(resampling="cubic")
    with pytest.raises(ValueError, match=re.escape("Received: fill_value=300")):
        RandomAffine(fill_value=300)
    with pytest.raises(
        ValueError, match=re.escape("`shift` must be a finite number >= 0. Received: shift=-1")
    ):
        RandomAffine(shift=-1)
    with pytest.raises(
        ValueError, match=re.escape("`scale` must be a (low, high) range. Received: scale=(1.2, 0.8)")
    ):
        RandomAffine(scale=(1.2, 0.8))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`transforms` must be one of ['standard', 'strong', 'none'], None or a Keras layer. Received: transforms='jitter'"
        ),
    ):
        transforms.get("jitter")
    assert transforms.get("none") is None and transforms.get(None) is None
    assert isinstance(transforms.get("standard"), RandomAffine)


def test_the_strong_preset_changes_more_than_lucids():
    standard, strong = transforms.get("standard"), transforms.get("strong")
    assert (standard.shift, standard.scale, standard.degrees) == (12 / 224, (0.9, 1.1), 10.0)
    assert strong.shift > standard.shift and strong.degrees > standard.degrees
    assert strong.scale[0] < standard.scale[0] and strong.scale[1] > standard.scale[1]


def test_auto_is_strong_for_direct_images_standard_for_generators_and_small_direct_images():
    for direct in ("fourier", "fourier_phase", "pixels"):
        assert transforms.resolve("auto", (224, 224, 3), direct) == "strong"
    assert transforms.resolve("auto", (128, 160, 3), "fourier") == "strong"
    for network in ("scratch", "pretrained", None):
        assert transforms.resolve("auto", (224, 224, 3), network) == "standard"
    assert transforms.resolve("auto", (127, 224, 3), "fourier") == "standard"
    for network in ("scratch", "pretrained", None):
        assert transforms.resolve("auto", (32, 32, 3), network) == "none"
    assert transforms.resolve("standard", (32, 32, 3), "fourier") == "standard"
