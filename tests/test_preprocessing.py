"""What the classifier expects of its pixels (`keras_featviz.preprocessing`)."""

import numpy as np
import pytest
from keras import ops

from keras_featviz import preprocessing

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends

PIXELS = np.array([[[[0.0, 127.5, 255.0]]]], "float32")  # one pixel, R G B


def _applied(mode):
    return ops.convert_to_numpy(preprocessing.get(mode)(ops.convert_to_tensor(PIXELS)))[0, 0, 0]


def test_each_mode_maps_pixels_as_its_name_says():
    np.testing.assert_allclose(_applied("none"), [0.0, 127.5, 255.0])
    np.testing.assert_allclose(_applied("unit"), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(_applied("tf"), [-1.0, 0.0, 1.0])
    # Caffe: BGR order, ImageNet's channel means subtracted.
    np.testing.assert_allclose(_applied("caffe"), [255.0 - 103.939, 127.5 - 116.779, 0.0 - 123.68], rtol=1e-6)
    np.testing.assert_allclose(
        _applied("torch"),
        (np.array([0.0, 0.5, 1.0]) - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225],
        rtol=1e-5,
    )


def test_application_names_map_to_their_mode():
    np.testing.assert_allclose(_applied("vgg16"), _applied("caffe"))
    np.testing.assert_allclose(_applied("mobilenet_v2"), _applied("tf"))
    np.testing.assert_allclose(_applied("densenet"), _applied("torch"))


def test_a_callable_is_used_as_it_is_and_none_changes_nothing():
    def halve(x):
        return x / 2

    assert preprocessing.get(halve) is halve
    np.testing.assert_allclose(_applied(None), PIXELS[0, 0, 0])


def test_an_unknown_name_is_refused_with_the_choices():
    with pytest.raises(
        ValueError, match=r"Unknown preprocessing: use one of \['none', 'unit', 'tf', 'caffe', 'torch'\]"
    ):
        preprocessing.get("imagenet")
