"""The class-conditional generator (`keras_featviz.makers.conditional`)."""

import keras
import numpy as np
import pytest

from keras_featviz.makers.conditional import conditional_generator, levels

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


@pytest.mark.parametrize("shape", [(16, 16, 3), (20, 12, 1), (160, 160, 3)])
def test_it_makes_images_of_the_classifier_size(shape):
    generator = conditional_generator(shape, num_classes=5, width=0.25, noise_size=4, seed=0)
    assert generator.input_shape == (None, 9)
    assert generator.output_shape == (None, *shape)


def test_the_first_grid_and_the_upsamplings_reach_the_image_side():
    assert levels(160, 160) == ((5, 5), 5)
    assert levels(224, 224) == ((7, 7), 5)
    assert levels(8, 8) == ((8, 8), 0)


def test_the_class_and_the_noise_both_change_the_image_and_the_seed_fixes_it():
    generator = conditional_generator((16, 16, 3), num_classes=3, width=0.25, noise_size=2, seed=0)
    codes = np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [1, 0, 0, 1, 1]], "float32")
    images = keras.ops.convert_to_numpy(generator(codes))
    assert not np.allclose(images[0], images[1])  # another class
    assert not np.allclose(images[0], images[2])  # other noise
    again = conditional_generator((16, 16, 3), num_classes=3, width=0.25, noise_size=2, seed=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again(codes)), images, rtol=1e-5, atol=1e-6)
