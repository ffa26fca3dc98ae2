"""The memorisation score: its arithmetic, and seed 000's check that it separates a
memorising from a generalising classifier (slow)."""

import keras
import numpy as np
import pytest

from keras_featviz.callbacks import MemorizationCallback
from keras_featviz.shapes import augment, shapes_data
from keras_featviz.views.memorization import (
    MemorizationMeter,
    NearestImages,
    balanced,
    matched_colours,
    nearest_gap,
    shift_score,
)

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_nearest_gap_is_the_seen_minus_the_unseen_nearest_similarity():
    seen = np.eye(3)[:2]  # unit vectors e0, e1
    unseen = np.array([[0.6, 0.0, 0.8]])
    queries = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(nearest_gap(queries, seen, unseen), [1.0 - 0.6, 0.0 - 0.8])


def test_balanced_takes_the_same_count_per_class_in_order():
    x = np.arange(10)[:, None]
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1, 2, 2])
    picked = balanced(x, y, [0, 1, 2], 2)
    assert [list(picked[c][:, 0]) for c in (0, 1, 2)] == [[0, 2], [1, 3], [8, 9]]
    one_hot = balanced(x, np.eye(3)[y], [1], 3)
    assert list(one_hot[1][:, 0]) == [1, 3, 5]


def test_repeats_of_an_image_take_one_place():
    """A class balanced by repeating its few images is compared on those images, not on copies."""
    x = np.array([7, 7, 7, 8, 7, 9, 8])[:, None]
    picked = balanced(x, np.zeros(7, "int64"), [0], 5)
    assert list(picked[0][:, 0]) == [7, 8, 9]


def test_a_class_image_that_is_a_training_image_scores_high(trained_classifier, patches):
    from conftest import colour_patches

    x, y = patches
    heldout = colour_patches(90, seed=7)
    meter = MemorizationMeter(trained_classifier, (x, y), heldout, [0, 1, 2], per_class=10)
    copies = np.stack([meter.seen[c][0] for c in (0, 1, 2)]).astype("uint8")[None]
    scores = meter.measure(copies)
    # Each "class image" is one of the compared training images: its nearest
    # seen image is itself (similarity 1), so the gap is 1 minus the nearest
    # held-out similarity, above 0.
    assert (scores["features"] > 0).all() and (scores["pixels"] > 0).all()
    assert np.isnan(scores["sameness"]).all()  # one seed: no pairs


def test_each_class_has_its_own_accuracy_gap(trained_classifier, patches):
    """Held-out labels of classes 0 and 1 swapped: those two classes read a gap
    of 1 (right on training, wrong on held-out), class 2 reads 0."""
    from conftest import colour_patches

    x_val, y_val = colour_patches(90, seed=7)
    swapped = np.array([1, 0, 2])[y_val]
    meter = MemorizationMeter(trained_classifier, patches, (x_val, swapped), [0, 1, 2], per_class=10)
    np.testing.assert_allclose(meter.accuracy_gaps(), [1.0, 1.0, 0.0], atol=0.1)
    images = np.stack([meter.seen[c][0] for c in (0, 1, 2)]).astype("uint8")[None]
    np.testing.assert_array_equal(meter.measure(images)["accuracy_gap"], meter.accuracy_gaps())


def test_a_class_learnt_from_few_images_is_judged_on_all_its_heldout_images(trained_classifier, patches):
    """Class 0 has 2 different training images; all its 30 held-out images count
    (half of them another class's), not only as many as its training images."""
    from conftest import colour_patches

    x, y = patches
    x_val, y_val = colour_patches(90, seed=7)
    train = (
        np.concatenate([np.repeat(x[y == 0][:2], 10, axis=0), x[y != 0]]),
        np.concatenate([np.zeros(20, "int64"), y[y != 0]]),
    )
    wrong, right = x_val[y_val == 1][:15], x_val[y_val == 0][:15]
    heldout = (
        np.concatenate([wrong, right, x_val[y_val != 0]]),
        np.concatenate([np.zeros(30, "int64"), y_val[y_val != 0]]),
    )
    meter = MemorizationMeter(
        trained_classifier, train, heldout, [0, 1, 2], per_class=30, match_colours=False
    )
    assert len(meter.seen[0]) == len(meter.unseen[0]) == 2  # the scores compare equal counts
    assert meter.accuracy_gaps()[0] == pytest.approx(1.0 - 15 / 30, abs=0.07)


def test_matched_colours_undo_a_brightness_and_contrast_change():
    rng = np.random.default_rng(0)
    images = rng.uniform(40, 200, (20, 8, 8, 3)).astype("float32")
    changed = images * np.array([0.8, 0.9, 0.7], "float32") + 30.0
    np.testing.assert_allclose(matched_colours(changed, images), images, atol=1e-3)


def test_the_shift_score_tells_a_brightened_set_from_a_like_one():
    from conftest import colour_patches

    a, b = colour_patches(120, seed=1)[0], colour_patches(120, seed=2)[0]
    assert abs(shift_score(a, b)) < 3
    assert shift_score(a, np.clip(b + 25.5, 0, 255)) > 10


def test_a_brightened_heldout_set_is_a_shift_not_memorisation(trained_classifier, patches):
    """A held-out set changed in brightness and contrast only: the shift is
    reported, before colour matching and not after, and the scores do not move."""
    from conftest import colour_patches

    heldout_x, heldout_y = colour_patches(90, seed=7)
    class_images = np.stack([patches[0][i] for i in (0, 1, 2)]).astype("uint8")[None]
    plain = MemorizationMeter(trained_classifier, patches, (heldout_x, heldout_y), [0, 1, 2], per_class=20)
    shifted = MemorizationMeter(
        trained_classifier, patches, (heldout_x * 0.9 + 20.0, heldout_y), [0, 1, 2], per_class=20
    )
    assert abs(plain.input_shift) < 3 and abs(plain.residual_shift) < 3
    assert shifted.input_shift > 10 and abs(shifted.residual_shift) < 3
    for key, values in plain.measure(class_images).items():
        np.testing.assert_allclose(shifted.measure(class_images)[key], values, atol=2e-3, err_msg=key)


def test_nearest_images_rank_a_copied_training_image_first(trained_classifier, patches):
    from conftest import colour_patches

    x, y = patches
    meter = MemorizationMeter(trained_classifier, (x, y), colour_patches(90, seed=7), [0, 1, 2], per_class=10)
    position = int(np.flatnonzero(y == 2)[3])  # the 4th training image of class 2
    copies = np.stack([meter.seen[c][0] for c in (0, 1)] + [x[position]]).astype("uint8")
    nearest = meter.nearest(copies, ["red", "green", "blue"], k=4)
    assert nearest.sources[2][0] == "training" and nearest.indices[2][0] == position
    assert nearest.similarities[2][0] == pytest.approx(1.0, abs=1e-5)
    assert all(len(s) == 4 for s in nearest.sources) and nearest.images[2].shape == (4, *x.shape[1:])
    assert 0.25 <= nearest.training_share()[2] <= 1.0
    assert nearest.summary(2).startswith("blue: ") and nearest.description(2).startswith("blue: ")
    tiles, captions = nearest.strip(2)
    assert captions[:2] == ["class image", f"train #{position} 1.00"]
    np.testing.assert_array_equal(tiles[1], x[position].astype("uint8"))


def test_the_summary_says_when_the_nearest_are_all_the_training_images():
    nearest = NearestImages(
        ["cat"],
        np.zeros((1, 4, 4, 3), "uint8"),
        [["training", "training", "held-out"]],
        [np.array([3, 5, 0])],
        [np.array([0.9, 0.8, 0.5])],
        [np.zeros((3, 4, 4, 3), "uint8")],
        [2],
    )
    assert nearest.summary(0) == "cat: 2 of 3 nearest are training (all 2)"
    assert nearest.description(0) == (
        "cat: 2 of the 3 images nearest to the class image are training images, of 2 training and "
        "as many held-out images of the class (chance: half); they are all 2 it trained on."
    )


SIZE, CLASSES = 32, 6


def _shapes_cnn(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3)),
            keras.layers.Rescaling(1 / 255.0),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ]
    )


def _final_feature_score(x, y, heldout, seed, epochs, batch_size, every_n_epochs, tmp_path):
    model = _shapes_cnn(seed)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    callback = MemorizationCallback(
        (x, y),
        heldout,
        steps=20,
        per_class=20,
        every_n_epochs=every_n_epochs,
        max_overhead=None,
        log_dir=tmp_path / f"{seed}_{len(x)}",
    )
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[callback])
    return float(callback.history[epochs - 1]["features"].mean())


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_feature_score_separates_memorising_from_generalising(seed, tmp_path):
    """Seed 000's check: the first 24 images (3 to 6 a class) for 30 epochs (memorised: training
    accuracy 1, validation about 0.6) against 3,600 varied images for 6 epochs
    (validation about 0.98). Both are scored 6 times, so their class images
    had the same 6 x 20 optimisation steps; the last scores are compared."""
    (x, y), heldout, _ = shapes_data(train=1800, validation=300, test=0, size=SIZE, classes=CLASSES)
    few = 4 * CLASSES
    memorising = _final_feature_score(x[:few], y[:few], heldout, seed, 30, 8, 5, tmp_path)
    many_x, many_y = np.concatenate([x, augment(x, seed=seed)]), np.concatenate([y, y])
    generalising = _final_feature_score(many_x, many_y, heldout, seed, 6, 32, 1, tmp_path)
    assert memorising > generalising + 0.02, (memorising, generalising)
