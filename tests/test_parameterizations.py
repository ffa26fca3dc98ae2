"""Image parameterisations (pixels, Fourier, phase-only Fourier) as generators."""

import keras
import numpy as np
import pytest

import keras_featviz
from keras_featviz.makers.parameterizations import KINDS, image_generator

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


@pytest.mark.parametrize("kind", KINDS)
def test_one_image_per_target_of_any_shape(kind):
    generator = image_generator(kind, (12, 20, 3), num_targets=3, seed=0)
    images = keras.ops.convert_to_numpy(generator(np.ones((3, 1), "float32")))
    assert images.shape == (3, 12, 20, 3)
    assert not np.allclose(images[0], images[1])  # each target its own image
    assert np.isfinite(images).all()


def test_fourier_starts_near_grey_with_a_natural_spectrum():
    images = keras.ops.convert_to_numpy(image_generator("fourier", (64, 64, 3), seed=0)(np.ones((1, 1))))
    assert np.abs(images).max() < 0.1  # 127.5 * (1 + tanh(g)): about mid-grey
    spectrum = np.abs(np.fft.fft2(images[0, ..., 0]))
    low, high = spectrum[1:4, 1:4].mean(), spectrum[28:36, 28:36].mean()
    assert low > 5 * high  # 1/f: low frequencies dominate


@pytest.mark.parametrize("kind", ["pixels", "fourier"])
def test_parameterised_images_raise_their_class(trained_classifier, kind):
    visualizer = keras_featviz.FeatureVisualizer(trained_classifier, kind, seed=0, transforms="none")
    start = visualizer.visualize([1, 2], steps=1, verbose=0).probabilities[[0, 1], [1, 2]]
    visualizer = keras_featviz.FeatureVisualizer(trained_classifier, kind, seed=0, transforms="none")
    end = visualizer.visualize([1, 2], steps=60, verbose=0).probabilities[[0, 1], [1, 2]]
    assert np.all(end > start)
