"""Generator architectures: the paper's counts and any classifier size."""

import numpy as np
import pytest

import keras
from keras_featviz import generators
from keras_featviz.layers import FeatureVector


def trainable_count(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)


def test_scratch_generator_at_224_has_table_1_count():
    assert trainable_count(generators.scratch_generator((224, 224, 3))) == 5_240_841


def test_pretrained_generator_at_224_trains_only_3200():
    decoder = generators.decoder_network((224, 224, 3))
    assert trainable_count(generators.latent_generator(decoder)) == 3_200


@pytest.mark.parametrize("shape", [(16, 16, 3), (32, 32, 1), (40, 24, 3), (64, 64, 4), (7, 9, 2)])
def test_generators_fit_any_input(shape):
    for model in (generators.scratch_generator(shape, width=0.125), generators.decoder_network(shape, width=0.125)):
        assert model.output_shape == (None,) + shape


def test_feature_vector_noise_only_in_training():
    layer = FeatureVector(rows=2, noise="additive", stddev=2.0, initial=0.5, seed=0)
    f0 = np.ones((2, 6), "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(f0)), 0.5)
    noisy = keras.ops.convert_to_numpy(layer(f0, training=True))
    assert noisy.std() > 0.3  # sigma 2, beyond GaussianNoise's limit of 1


def test_bad_generator_arguments():
    with pytest.raises(ValueError, match=r"`image_shape` must be \(height, width, channels\)"):
        generators.scratch_generator((32, 32))
    with pytest.raises(ValueError, match=r"`noise` must be one of"):
        FeatureVector(noise="uniform")


def test_feature_noise_is_none_in_scratch_mode_unless_given():
    from conftest import tiny_classifier
    import keras_featviz

    model = tiny_classifier()
    for noise, expected in ((None, 0.0), (2.0, generators.SCRATCH_NOISE_STDDEV), (0.5, 0.5)):
        visualizer = keras_featviz.FeatureVisualizer(model, width=0.125, noise=noise)
        layer = visualizer._generator_source(1).get_layer("feature_vector")
        assert layer.stddev == expected
    assert generators.latent_generator(
        generators.decoder_network((8, 8, 3), width=0.125), noise_stddev=0.0
    ).get_layer("feature_vector").stddev == 0.0


def test_augment_keeps_shape_and_is_repeatable():
    from keras_featviz.data import augment, shapes_data

    (x, _), _, _ = shapes_data(train=12, validation=0, test=0, size=16, seed=0)
    out = augment(x, seed=3)
    assert out.shape == x.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out, augment(x, seed=3))
    assert not np.array_equal(out, x)
    gray = augment(x[..., :1], seed=3)
    assert gray.shape == x[..., :1].shape


def _train(model, f0, target, steps):
    model.compile(keras.optimizers.SGD(1e-3), keras.losses.MeanSquaredError(reduction="sum"))
    model.fit(f0, target, epochs=steps, batch_size=len(f0), verbose=0, shuffle=False)


def test_batched_scratch_generators_train_as_if_alone():
    """Row 1 of a 2-target generator makes and learns what a lone generator does."""
    shape = (20, 20, 3)
    batched = generators.scratch_generator(shape, width=0.25, rows=2, seed=0, noise_stddev=0.0)
    alone = generators.scratch_generator(shape, width=0.25, rows=1, seed=1, noise_stddev=0.0)
    alone.set_weights([w[1:2] for w in batched.get_weights()])
    # A random input: from f0 = 1 the first grids are nearly constant, and
    # normalising them magnifies float round-off past any tolerance.
    f0 = np.random.default_rng(1).normal(size=(2, batched.input_shape[-1])).astype("float32")
    before = keras.ops.convert_to_numpy(batched(f0))
    np.testing.assert_allclose(before[1:], keras.ops.convert_to_numpy(alone(f0[1:])), atol=1e-4)

    target = np.random.default_rng(0).normal(size=(2,) + shape).astype("float32")
    _train(batched, f0, target, steps=3)
    _train(alone, f0[1:], target[1:], steps=3)
    after = keras.ops.convert_to_numpy(batched(f0))
    assert np.abs(after[1] - before[1]).max() > 1e-2  # it did learn
    np.testing.assert_allclose(after[1:], keras.ops.convert_to_numpy(alone(f0[1:])), atol=1e-3)
    for mine, lone in zip(batched.get_weights(), alone.get_weights()):
        np.testing.assert_allclose(mine[1:], lone, atol=1e-4)


def test_batched_scratch_generators_start_apart_at_a_lone_generators_scale():
    batched = generators.scratch_generator((16, 16, 3), width=0.5, rows=8, seed=0)
    alone = generators.scratch_generator((16, 16, 3), width=0.5, rows=1, seed=0)
    for mine, lone in zip(batched.trainable_weights, alone.trainable_weights):
        if "kernel" in mine.path:
            mine, lone = keras.ops.convert_to_numpy(mine), keras.ops.convert_to_numpy(lone)
            assert not np.allclose(mine[0], mine[1])
            np.testing.assert_allclose(mine.std(), lone.std(), rtol=0.15)


def test_target_conv_patch_layouts_agree():
    from keras_featviz.layers import TargetConv2D

    x = np.random.default_rng(0).normal(size=(3, 9, 9, 4)).astype("float32")
    for padding, kernel in (("valid", 3), ("same", 4)):
        depthwise = TargetConv2D(3, 5, kernel, padding=padding, seed=0, patches="depthwise")
        slices = TargetConv2D(3, 5, kernel, padding=padding, seed=0, patches="slices")
        expected = keras.ops.convert_to_numpy(depthwise(x))
        slices.build(x.shape)
        slices.set_weights(depthwise.get_weights())
        np.testing.assert_allclose(keras.ops.convert_to_numpy(slices(x)), expected, atol=1e-4)
    with pytest.raises(ValueError, match=r"`patches` must be one of \('auto', 'depthwise', 'slices'\). Received: patches='im2col'"):
        TargetConv2D(2, 4, 3, patches="im2col")


@pytest.mark.parametrize("kernel", [2, 3, 4, 5])
@pytest.mark.parametrize("patches", ["depthwise", "slices"])
def test_fused_upsampling_convolution_equals_upsample_then_convolve(kernel, patches):
    """The phase kernels give the images and the training of UpSampling2D + convolution."""
    from keras_featviz.layers import TargetConv2D

    shape = (12, 10, 4)
    fused_layer = TargetConv2D(3, 5, kernel, seed=0, patches=patches, upsample=2, activation="relu")
    fused = keras.Sequential([keras.Input(shape), fused_layer])
    plain = keras.Sequential([
        keras.Input(shape), keras.layers.UpSampling2D(2),
        TargetConv2D(3, 5, kernel, patches=patches, activation="relu"),
    ])
    assert fused_layer.fused
    bias = np.random.default_rng(2).normal(size=(3, 5)).astype("float32")
    fused.set_weights([fused.get_weights()[0], bias])
    plain.set_weights(fused.get_weights())
    x = np.random.default_rng(0).normal(size=(3,) + shape).astype("float32")
    expected = keras.ops.convert_to_numpy(plain(x))
    assert expected.shape == (3, 24 - kernel + 1, 20 - kernel + 1, 5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(fused(x)), expected, atol=1e-4)

    target = np.random.default_rng(1).normal(size=expected.shape).astype("float32")
    _train(fused, x, target, steps=3)
    _train(plain, x, target, steps=3)
    assert np.abs(fused.get_weights()[0] - plain.get_weights()[0]).max() < 1e-4
    assert np.abs(fused.get_weights()[1] - bias).max() > 1e-3  # it did learn
    np.testing.assert_allclose(fused.get_weights()[1], plain.get_weights()[1], atol=1e-4)


def test_upsampling_is_fused_only_where_it_pays():
    from keras_featviz.layers import TargetConv2D

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
    from keras_featviz.layers import TargetConv2D, TargetNormalization

    x = np.random.default_rng(0).normal(size=(2, 9, 9, 4)).astype("float32")
    outputs = {}
    for policy in ("float32", "mixed_bfloat16"):
        model = keras.Sequential([
            keras.Input((9, 9, 4)),
            TargetConv2D(2, 5, 3, seed=0, upsample=2, patches="depthwise", dtype=policy),
            TargetNormalization(2, dtype=policy),
        ])
        assert model.layers[0].fused and model.layers[0].kernel.dtype == "float32"
        outputs[policy] = keras.ops.convert_to_numpy(keras.ops.cast(model(x), "float32"))
    np.testing.assert_allclose(outputs["mixed_bfloat16"], outputs["float32"], atol=0.1)
