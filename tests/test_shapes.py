"""The synthetic shapes and their planted cues (`keras_featviz.shapes`)."""

import numpy as np
import pytest

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_augment_keeps_shape_and_is_repeatable():
    from keras_featviz.shapes import augment, shapes_data

    (x, _), _, _ = shapes_data(train=12, validation=0, test=0, size=16, seed=0)
    out = augment(x, seed=3)
    assert out.shape == x.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out, augment(x, seed=3))
    assert not np.array_equal(out, x)
    gray = augment(x[..., :1], seed=3)
    assert gray.shape == x[..., :1].shape


def test_every_planted_cue_kind_is_drawn_and_scored_apart_from_plain_images():
    """Each kind marks the cue class's images; `demo.cue_scores` tells them from plain ones."""
    from keras_featviz.demo import cue_scores
    from keras_featviz.shapes import CUE_KINDS, shapes_data

    for kind in CUE_KINDS:
        (x, y), _, _ = shapes_data(36, 0, 0, 32, seed=3, cue_class=0, cue_rate=0.0, cue_kind=kind)
        scores = cue_scores(x, kind)
        assert scores[y == 0].min() > np.median(scores[y != 0]), kind
        assert scores[y == 0].mean() > scores[y != 0].mean() + 0.2, kind


def test_the_demo_cue_is_the_square_it_always_was():
    from keras_featviz.shapes import draw_shape

    a = draw_shape(4, 32, np.random.default_rng(1), cue=True)
    b = draw_shape(4, 32, np.random.default_rng(1), cue="square")
    np.testing.assert_array_equal(a, b)
    assert (a[1:4, 1:4] > 200).all()


def test_an_unknown_cue_kind_is_refused():
    from keras_featviz.shapes import shapes_data

    with pytest.raises(
        ValueError, match=r"`cue_kind` must be one of \[.*'stripes'\]. Received: cue_kind='blob'"
    ):
        shapes_data(4, 0, 0, 32, cue_class=0, cue_kind="blob")
