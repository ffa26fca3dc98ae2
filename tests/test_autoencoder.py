"""The denoising autoencoder trains, saves and loads in Keras' format."""

import numpy as np
import pytest
from PIL import Image

import keras_featviz

from conftest import colour_patches


def test_round_trip_and_folder_training(tmp_path):
    images, _ = colour_patches(40)
    folder = tmp_path / "images"
    folder.mkdir()
    for i, image in enumerate(images[:8]):
        Image.fromarray(image).save(folder / f"{i}.png")
    dae = keras_featviz.DenoisingAutoencoder((16, 16, 3), width=0.25, seed=0)
    history = dae.fit_images(str(folder), epochs=2, batch_size=4, validation_split=0, verbose=0)
    assert len(history.history["loss"]) == 2
    path = tmp_path / "dae.keras"
    dae.save(path)
    loaded = keras_featviz.DenoisingAutoencoder.load(str(path))
    np.testing.assert_array_equal(loaded.reconstruct(images), dae.reconstruct(images))
    for a, b in zip(loaded.decoder.get_weights(), dae.decoder.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_shape_errors(tmp_path):
    dae = keras_featviz.DenoisingAutoencoder((16, 16, 3), width=0.25)
    with pytest.raises(ValueError, match=r"Received: images.shape=\(2, 8, 8, 3\)"):
        dae.fit_images(np.zeros((2, 8, 8, 3)), verbose=0)
    with pytest.raises(FileNotFoundError, match="No folder at"):
        dae.fit_images(str(tmp_path / "nowhere"), verbose=0)
