"""Layers of the generators: the feature vector, per-target convolutions and normalisations."""

import re

import keras
import numpy as np
import pytest

from keras_featviz.makers.layers import FeatureVector

from conftest import fit_steps

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_feature_vector_noise_only_in_training():
    layer = FeatureVector(num_targets=2, noise="additive", stddev=2.0, initial=0.5, seed=0)
    f0 = np.ones((2, 6), "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(f0)), 0.5)
    noisy = keras.ops.convert_to_numpy(layer(f0, training=True))
    assert noisy.std() > 0.3  # sigma 2, beyond GaussianNoise's limit of 1


def test_target_conv_patch_layouts_agree():
    from keras_featviz.makers.layers import TargetConv2D

    x = np.random.default_rng(0).normal(size=(3, 9, 9, 4)).astype("float32")
    for padding, kernel in (("valid", 3), ("same", 4)):
        depthwise = TargetConv2D(3, 5, kernel, padding=padding, seed=0, patches="depthwise")
        slices = TargetConv2D(3, 5, kernel, padding=padding, seed=0, patches="slices")
        expected = keras.ops.convert_to_numpy(depthwise(x))
        slices.build(x.shape)
        slices.set_weights(depthwise.get_weights())
        np.testing.assert_allclose(keras.ops.convert_to_numpy(slices(x)), expected, atol=1e-4)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`patches` must be one of ['auto', 'depthwise', 'slices']. Received: patches='im2col'"
        ),
    ):
        TargetConv2D(2, 4, 3, patches="im2col")


@pytest.mark.parametrize("kernel", [2, 3, 4, 5])
@pytest.mark.parametrize("patches", ["depthwise", "slices"])
def test_fused_upsampling_convolution_equals_upsample_then_convolve(kernel, patches):
    """The phase kernels give the images and the training of UpSampling2D + convolution."""
    from keras_featviz.makers.layers import TargetConv2D

    shape = (12, 10, 4)
    fused_layer = TargetConv2D(3, 5, kernel, seed=0, patches=patches, upsample=2, activation="relu")
    fused = keras.Sequential([keras.Input(shape), fused_layer])
    plain = keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.UpSampling2D(2),
            TargetConv2D(3, 5, kernel, patches=patches, activation="relu"),
        ]
    )
    assert fused_layer.fused
    bias = np.random.default_rng(2).normal(size=(3, 5)).astype("float32")
    fused.set_weights([fused.get_weights()[0], bias])
    plain.set_weights(fused.get_weights())
    x = np.random.default_rng(0).normal(size=(3,) + shape).astype("float32")
    expected = keras.ops.convert_to_numpy(plain(x))
    assert expected.shape == (3, 24 - kernel + 1, 20 - kernel + 1, 5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(fused(x)), expected, atol=1e-4)

    target = np.random.default_rng(1).normal(size=expected.shape).astype("float32")
    fit_steps(fused, x, target, steps=3)
    fit_steps(plain, x, target, steps=3)
    assert np.abs(fused.get_weights()[0] - plain.get_weights()[0]).max() < 1e-4
    assert np.abs(fused.get_weights()[1] - bias).max() > 1e-3  # it did learn
    np.testing.assert_allclose(fused.get_weights()[1], plain.get_weights()[1], atol=1e-4)


def test_upsampling_is_fused_only_where_it_pays():
    from keras_featviz.makers.layers import TargetConv2D

    small = TargetConv2D(2, 4, 3, upsample=2)
    small.build((2, 5, 5, 3))  # 8x8 outputs: the phase kernels would cost more
    large = TargetConv2D(2, 4, 3, upsample=2)
    large.build((2, 9, 9, 3))  # 16x16
    alone = TargetConv2D(1, 4, 3, upsample=2)
    alone.build((1, 9, 9, 3))  # one target: the backend's own convolution
    assert (small.fused, large.fused, alone.fused) == (False, True, False)
    with pytest.raises(ValueError, match=r"`upsample` must be 1 or 2. Received: upsample=3"):
        TargetConv2D(2, 4, 3, upsample=3)


def test_target_layers_run_under_a_mixed_policy():
    from keras_featviz.makers.layers import TargetConv2D, TargetNormalization

    x = np.random.default_rng(0).normal(size=(2, 9, 9, 4)).astype("float32")
    outputs = {}
    for policy in ("float32", "mixed_bfloat16"):
        model = keras.Sequential(
            [
                keras.Input((9, 9, 4)),
                TargetConv2D(2, 5, 3, seed=0, upsample=2, patches="depthwise", dtype=policy),
                TargetNormalization(2, dtype=policy),
            ]
        )
        assert model.layers[0].fused and model.layers[0].kernel.dtype == "float32"
        outputs[policy] = keras.ops.convert_to_numpy(keras.ops.cast(model(x), "float32"))
    np.testing.assert_allclose(outputs["mixed_bfloat16"], outputs["float32"], atol=0.1)
