"""Generator architectures: the paper's counts and any classifier size."""

import keras
import numpy as np
import pytest

from keras_featviz import FeatureVisualizer
from keras_featviz.makers import generators
from keras_featviz.makers.layers import FeatureVector

from conftest import fit_steps

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def trainable_count(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)


def test_scratch_generator_at_224_has_table_1_count():
    assert trainable_count(generators.scratch_generator((224, 224, 3))) == 5_240_841


def test_pretrained_generator_at_224_trains_only_3200():
    decoder = generators.decoder_network((224, 224, 3))
    assert trainable_count(generators.latent_generator(decoder)) == 3_200


@pytest.mark.parametrize("shape", [(16, 16, 3), (32, 32, 1), (40, 24, 3), (64, 64, 4), (7, 9, 2)])
def test_generators_fit_any_input(shape):
    for model in (
        generators.scratch_generator(shape, width=0.125),
        generators.decoder_network(shape, width=0.125),
    ):
        assert model.output_shape == (None,) + shape


def test_bad_generator_arguments():
    with pytest.raises(ValueError, match=r"`image_shape` must be \(height, width, channels\)"):
        generators.scratch_generator((32, 32))
    with pytest.raises(ValueError, match=r"`noise` must be one of"):
        FeatureVector(noise="uniform")


@pytest.mark.parametrize("pyramid", [False, True])
def test_batched_scratch_generators_train_as_if_alone(pyramid):
    """Row 1 of a 2-target generator makes and learns what a lone generator does."""
    shape = (20, 20, 3)
    batched = generators.scratch_generator(
        shape, width=0.25, num_targets=2, seed=0, noise_stddev=0.0, pyramid=pyramid
    )
    alone = generators.scratch_generator(
        shape, width=0.25, num_targets=1, seed=1, noise_stddev=0.0, pyramid=pyramid
    )
    alone.set_weights([w[1:2] for w in batched.get_weights()])
    # The loop's constant input: each target's feature vector starts random
    # (`defaults.SCRATCH_SPREAD`), so the first grids are not constant.
    f0 = np.ones((2, batched.input_shape[-1]), "float32")
    before = keras.ops.convert_to_numpy(batched(f0))
    np.testing.assert_allclose(before[1:], keras.ops.convert_to_numpy(alone(f0[1:])), atol=1e-4)

    target = np.random.default_rng(0).normal(size=(2,) + shape).astype("float32")
    fit_steps(batched, f0, target, steps=3)
    fit_steps(alone, f0[1:], target[1:], steps=3)
    after = keras.ops.convert_to_numpy(batched(f0))
    assert np.abs(after[1] - before[1]).max() > 1e-2  # it did learn
    np.testing.assert_allclose(after[1:], keras.ops.convert_to_numpy(alone(f0[1:])), atol=1e-3)
    for mine, lone in zip(batched.get_weights(), alone.get_weights()):
        np.testing.assert_allclose(mine[1:], lone, atol=1e-4)


def test_batched_scratch_generators_start_apart_at_a_lone_generators_scale():
    batched = generators.scratch_generator((16, 16, 3), width=0.5, num_targets=8, seed=0)
    alone = generators.scratch_generator((16, 16, 3), width=0.5, num_targets=1, seed=0)
    for mine, lone in zip(batched.trainable_weights, alone.trainable_weights):
        if "kernel" in mine.path:
            mine, lone = keras.ops.convert_to_numpy(mine), keras.ops.convert_to_numpy(lone)
            assert not np.allclose(mine[0], mine[1])
            np.testing.assert_allclose(mine.std(), lone.std(), rtol=0.15)


def test_the_pyramid_gives_every_block_its_own_path_to_the_image():
    shape = (64, 64, 3)
    plain = generators.scratch_generator(shape, width=0.25, seed=0)
    pyramid = generators.scratch_generator(shape, width=0.25, seed=0, pyramid=True)
    blocks, _ = generators.plan_generator(64, 64)
    levels = [layer for layer in pyramid.layers if layer.name.startswith("pyramid_level_")]
    assert len(levels) == len(blocks)
    # One linear 1x1 convolution (kernel and bias) per block to the 3
    # channels, and the final normalisation's scale and offset.
    added = sum(round(filters * 0.25) * 3 + 3 for filters, _ in blocks) + 2 * 3
    assert pyramid.count_params() == plain.count_params() + added
    # The paper's layers keep their seeds: the pyramid adds, it does not redraw.
    paper_convs = [
        [layer.kernel for layer in model.layers if getattr(layer, "kernel_size", 1) != 1]
        for model in (pyramid, plain)
    ]
    assert len(paper_convs[0]) == len(paper_convs[1]) == 2 * len(blocks) + 1
    for mine, theirs in zip(*paper_convs):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(mine), keras.ops.convert_to_numpy(theirs))
    f0 = np.random.default_rng(0).normal(size=(1, pyramid.input_shape[-1])).astype("float32")
    before = keras.ops.convert_to_numpy(pyramid(f0))
    level_convs = [layer for layer in pyramid.layers if getattr(layer, "kernel_size", 3) == 1]
    assert len(level_convs) == len(blocks)
    coarsest = level_convs[0].kernel  # the 4x4-grid block's path, enlarged 16x
    coarsest.assign(keras.ops.convert_to_numpy(coarsest) * 10.0)
    assert np.abs(keras.ops.convert_to_numpy(pyramid(f0)) - before).max() > 1e-2


def test_the_scratch_generator_starts_from_a_varied_map_not_rounding_noise():
    # Started from a constant feature vector, every position of the first
    # convolution's output was equal up to float rounding (std 1e-6), and the
    # normalisations made the image out of that noise.
    generator = generators.scratch_generator((16, 16, 3), width=0.25, num_targets=2, seed=0)
    first = next(layer for layer in generator.layers if "conv" in layer.name)
    features = keras.Model(generator.input, first.output)(np.ones((2, generator.input_shape[-1]), "float32"))
    spread = keras.ops.convert_to_numpy(features).std(axis=(1, 2))
    assert spread.min() > 1e-2


def test_pretrained_mode_starts_each_seed_from_its_own_decoded_image():
    # From the paper's alpha = 0 every seed decoded the same first image and
    # followed the same path, so a class stuck short of first on one seed was
    # stuck on all of them.
    decoder = generators.decoder_network((8, 8, 3), width=0.125)
    f0 = np.ones((2, decoder.input_shape[-1]), "float32")

    def first_images(seed, **kwargs):
        model = generators.latent_generator(decoder, num_targets=2, seed=seed, noise_stddev=0.0, **kwargs)
        return keras.ops.convert_to_numpy(model(f0)), keras.ops.convert_to_numpy(model.trainable_weights[0])

    images, alpha = first_images(0)
    assert np.std(alpha) == pytest.approx(1.0, abs=0.1)  # defaults.LATENT_SPREAD
    assert np.abs(images[0] - images[1]).max() > 1e-3  # each target its own start
    np.testing.assert_array_equal(first_images(0)[0], images)  # the seed decides it
    assert np.abs(first_images(1)[0] - images).max() > 1e-3
    paper = first_images(0, spread=0.0)[0]
    np.testing.assert_array_equal(paper, first_images(1, spread=0.0)[0])


def test_a_target_makes_the_same_image_alone_or_in_a_larger_chunk(trained_classifier):
    """A chunk padded to a multiple of the devices, or an atlas resumed in
    other chunks, must not change a target's image: each target's start is
    drawn on its own (`layers.PerTarget`). On JAX a 3-target and a 4-target
    chunk once differed by 26 of 255 on average."""
    visualizer = FeatureVisualizer(trained_classifier, "scratch", seed=0, width=0.25)
    alone = visualizer.visualize([0, 1, 2], steps=20, verbose=0).images.astype(int)
    in_chunk = visualizer.visualize([0, 1, 2, 0, 1], steps=20, verbose=0).images.astype(int)[:3]
    # Sums over another batch size round differently: a pixel here and there, not another image.
    assert np.abs(alone - in_chunk).mean() < 1.0
