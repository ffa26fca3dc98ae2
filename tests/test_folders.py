"""Reading image folders safely, and crops (`keras_featviz.io.folders`)."""

import numpy as np
import pytest

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_read_images_keeps_sizes_and_bounds_the_shorter_side(tmp_path):
    from PIL import Image

    from keras_featviz.io.folders import read_images

    Image.fromarray(np.full((30, 50, 3), 200, "uint8")).save(tmp_path / "a.png")
    Image.fromarray(np.full((400, 100), 90, "uint8")).save(tmp_path / "b.jpg")
    (tmp_path / "notes.txt").write_text("not an image")
    images = read_images(tmp_path, channels=3, max_side=60)
    assert [image.shape for image in images] == [(30, 50, 3), (240, 60, 3)]
    assert images[1].dtype == np.uint8 and abs(int(images[1][0, 0, 0]) - 90) <= 2
    assert read_images(tmp_path, channels=1)[0].shape == (30, 50, 1)


def test_random_crop_takes_parts_of_the_image_at_the_asked_size():
    from keras_featviz.io.folders import center_crop, random_crop

    # Columns numbered left to right: a crop shows which part it took.
    image = np.broadcast_to(np.arange(200, dtype="uint8")[None, :, None], (100, 200, 3)).copy()
    rng = np.random.default_rng(0)
    crops = [random_crop(image, (32, 32), rng) for _ in range(40)]
    assert all(crop.shape == (32, 32, 3) and crop.dtype == np.uint8 for crop in crops)
    lefts = {int(crop[0, 0, 0]) for crop in crops}
    assert len(lefts) > 10  # from many places
    mirrored = [crop for crop in crops if crop[0, 0, 0] > crop[0, -1, 0]]
    assert 5 < len(mirrored) < 35  # about half are flipped
    # The largest square region is the image's height (100): at most that
    # many columns are spanned, at least half of it.
    spans = [abs(int(crop[0, -1, 0]) - int(crop[0, 0, 0])) for crop in crops]
    assert max(spans) <= 100 and min(spans) >= 40
    centre = center_crop(image, (32, 32))
    assert abs(int(centre[0, 0, 0]) - 50) <= 2 and abs(int(centre[0, -1, 0]) - 149) <= 2


def test_unsafe_and_unreadable_files_are_skipped_and_named(tmp_path, monkeypatch):
    import os

    import pytest
    from PIL import Image

    from keras_featviz.io.folders import read_named_images

    Image.fromarray(np.full((8, 8, 3), 50, "uint8")).save(tmp_path / "good.png")
    Image.fromarray(np.zeros((40, 40, 3), "uint8")).save(tmp_path / "bomb.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    os.mkfifo(tmp_path / "pipe.png")  # reading it would block forever
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)  # 40x40 is over twice that
    with pytest.warns(UserWarning, match="Skipped 3 file") as record:
        names, images = read_named_images(str(tmp_path))
    assert names == ["good.png"] and len(images) == 1
    message = str(record[0].message)
    assert "bomb.png (too many pixels" in message
    assert "broken.png (unreadable" in message
    assert "pipe.png (not a regular file)" in message


def test_16_bit_images_are_scaled_not_clipped_to_white(tmp_path):
    from PIL import Image

    from keras_featviz.io.folders import read_images

    wide = np.full((6, 6), 128 * 257, "uint16")  # mid-grey in 16 bits
    Image.fromarray(wide).save(tmp_path / "deep.png")
    (image,) = read_images(str(tmp_path))
    assert image.shape == (6, 6, 3)
    np.testing.assert_array_equal(image, 128)


def test_load_images_centre_crops_every_photo_to_the_size(tmp_path):
    import pytest
    from PIL import Image

    import keras_featviz

    wide = np.zeros((20, 40, 3), "uint8")
    wide[:, 10:30] = 255  # the centred square is white, the sides black
    Image.fromarray(wide).save(tmp_path / "b_wide.png")
    Image.fromarray(np.full((30, 30, 3), 90, "uint8")).save(tmp_path / "a_square.png")
    images, names = keras_featviz.load_images(str(tmp_path), 16, return_names=True)
    assert names == ["a_square.png", "b_wide.png"]
    assert images.shape == (2, 16, 16, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images[0], 90)
    assert images[1].min() >= 250  # only the centre was kept
    assert keras_featviz.load_images(str(tmp_path), (8, 12)).shape == (2, 8, 12, 3)
    with pytest.raises(
        ValueError, match=r"`size` must be a positive int or \(height, width\). Received: size=0"
    ):
        keras_featviz.load_images(str(tmp_path), 0)
