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
    with pytest.raises(
        ValueError, match=r"must be \(height, width, 3\).*Received: an image of shape \(8, 8, 1\)"
    ):
        dae.fit_images(np.zeros((2, 8, 8, 1)), verbose=0)
    with pytest.raises(FileNotFoundError, match="No folder at"):
        dae.fit_images(str(tmp_path / "nowhere"), verbose=0)
    with pytest.raises(ValueError, match="`validation_split` must be < 1. Received: validation_split=1"):
        dae.fit_images(np.zeros((2, 16, 16, 3)), validation_split=1, verbose=0)


def test_folder_of_any_sizes_trains_on_new_crops_each_epoch(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, size in enumerate([(20, 31), (48, 17), (64, 64), (90, 40), (16, 16)]):
        Image.fromarray(rng.integers(0, 255, (*size, 3), dtype="uint8")).save(folder / f"{i}.png")
    dae = keras_featviz.DenoisingAutoencoder((16, 16, 3), width=0.25, seed=0)
    history = dae.fit_images(str(folder), epochs=2, batch_size=4, validation_split=0.2, verbose=0)
    assert len(history.history["loss"]) == 2 and "val_loss" in history.history
    assert np.isfinite(history.history["val_loss"]).all()


def test_crop_batches_repeat_by_seed_and_change_by_epoch():
    from keras_featviz.makers.autoencoder import CropBatches

    images = [np.random.default_rng(i).integers(0, 255, (30 + i, 40, 3), dtype="uint8") for i in range(5)]
    batches = CropBatches(images, (16, 16, 3), batch_size=4, seed=3)
    assert len(batches) == 2 and batches[0].shape == (4, 16, 16, 3) and batches[1].shape == (1, 16, 16, 3)
    first = batches[0]
    np.testing.assert_array_equal(first, CropBatches(images, (16, 16, 3), batch_size=4, seed=3)[0])
    batches.on_epoch_end()
    assert not np.array_equal(first, batches[0])
    centre = CropBatches(images, (16, 16, 3), batch_size=4, random=False)
    held = centre[0]
    centre.on_epoch_end()
    np.testing.assert_array_equal(held, centre[0])
    assert len(CropBatches(images, (16, 16, 3), batch_size=4, crops_per_epoch=10, seed=0)) == 3


def test_large_autoencoders_make_smaller_images_and_old_files_load(tmp_path):
    dae = keras_featviz.DenoisingAutoencoder((128, 128, 3), width=0.125, seed=0)
    assert dae.downsample == keras_featviz.defaults.LARGE_AUTOENCODER_DOWNSAMPLE
    assert dae.decoder.output_shape == (None, 128, 128, 3)
    assert dae.decoder.get_layer("enlarge") is not None
    assert keras_featviz.DenoisingAutoencoder((64, 64, 3), width=0.125).downsample == 1
    # A file saved before `downsample` existed has no such key: full size.
    config = dae.get_config()
    del config["downsample"]
    assert keras_featviz.DenoisingAutoencoder.from_config(config).downsample == 1
    with pytest.raises(ValueError, match="`downsample` must be an integer >= 1. Received: downsample=0"):
        keras_featviz.DenoisingAutoencoder((64, 64, 3), downsample=0)
