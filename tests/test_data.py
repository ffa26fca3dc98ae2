"""The synthetic shapes and their augmentation."""

import numpy as np


def test_augment_keeps_shape_and_is_repeatable():
    from keras_featviz.data import augment, shapes_data

    (x, _), _, _ = shapes_data(train=12, validation=0, test=0, size=16, seed=0)
    out = augment(x, seed=3)
    assert out.shape == x.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out, augment(x, seed=3))
    assert not np.array_equal(out, x)
    gray = augment(x[..., :1], seed=3)
    assert gray.shape == x[..., :1].shape


def test_read_images_keeps_sizes_and_bounds_the_shorter_side(tmp_path):
    from PIL import Image

    from keras_featviz.data import read_images

    Image.fromarray(np.full((30, 50, 3), 200, "uint8")).save(tmp_path / "a.png")
    Image.fromarray(np.full((400, 100), 90, "uint8")).save(tmp_path / "b.jpg")
    (tmp_path / "notes.txt").write_text("not an image")
    images = read_images(tmp_path, channels=3, max_side=60)
    assert [image.shape for image in images] == [(30, 50, 3), (240, 60, 3)]
    assert images[1].dtype == np.uint8 and abs(int(images[1][0, 0, 0]) - 90) <= 2
    assert read_images(tmp_path, channels=1)[0].shape == (30, 50, 1)


def test_random_crop_takes_parts_of_the_image_at_the_asked_size():
    from keras_featviz.data import center_crop, random_crop

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
