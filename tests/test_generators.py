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
