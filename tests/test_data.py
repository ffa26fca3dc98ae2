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
