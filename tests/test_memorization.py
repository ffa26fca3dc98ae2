"""The memorisation score: its arithmetic, and seed 000's check that it separates a
memorising from a generalising classifier (slow)."""

import keras
import numpy as np
import pytest

from keras_featviz.callbacks import MemorizationCallback
from keras_featviz.data import augment, shapes_data
from keras_featviz.memorization import MemorizationMeter, balanced, nearest_gap


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


def test_callback_logs_the_scores_every_epoch(patches, tmp_path):
    from conftest import colour_patches, fit_seeded, image_steps, read_run, tensor_value

    names = ["red", "green", "blue"]
    callback = MemorizationCallback(
        patches,
        colour_patches(90, seed=7),
        seeds=2,
        per_class=10,
        steps=5,
        log_dir=tmp_path,
        class_names=names,
        max_overhead=None,
    )
    plain = fit_seeded(patches, [])
    watched = fit_seeded(patches, [callback])
    for a, b in zip(plain.get_weights(), watched.get_weights()):
        np.testing.assert_array_equal(a, b)
    run = read_run(tmp_path / "memorization")
    expected = {
        "memorization_seconds",
        "memorization_skipped",
        "memorization/features",
        "memorization/pixels",
        "sameness",
    }
    expected |= {
        f"{kind}/{n}" for kind in ("memorization/features", "memorization/pixels", "sameness") for n in names
    }
    assert set(run.Tags()["tensors"]) == expected
    for tag in expected:
        assert image_steps(run, tag) == [0, 1], tag
    last = callback.history[1]
    assert tensor_value(run.Tensors("memorization/features")[-1]) == pytest.approx(
        last["features"].mean(), rel=1e-5
    )
    assert tensor_value(run.Tensors("sameness/blue")[-1]) == pytest.approx(last["sameness"][2], rel=1e-5)


def test_channel_targets_are_refused_before_the_first_epoch(patches, tmp_path):
    from keras_featviz import objectives

    from conftest import tiny_classifier

    callback = MemorizationCallback(
        patches, patches, targets=[objectives.channel("conv", 1)], log_dir=tmp_path
    )
    model = tiny_classifier()
    model.compile("adam", "sparse_categorical_crossentropy")
    epochs = []
    counter = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs.append(epoch))
    with pytest.raises(ValueError, match=r"scores classes only .* Received: targets \['conv/channel_1'\]"):
        model.fit(*patches, epochs=1, verbose=0, callbacks=[callback, counter])
    assert epochs == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"train": np.zeros((3, 16, 16, 3))}, "`train` must be a pair of arrays (x, y)"),
        ({"heldout": (np.zeros((3, 16, 16, 3)), [0, 1])}, "`heldout` must hold as many labels as images"),
        ({"seeds": 0}, "`seeds` must be an integer >= 1. Received: seeds=0"),
        (
            {"seed": 2**31 - 1, "seeds": 3},
            "`seed + seeds - 1` must be at most 2147483647: the seeds are seed, seed + 1, ... "
            "Received: seed=2147483647, seeds=3",
        ),
    ],
)
def test_bad_arguments_raise_in_init(patches, kwargs, message):
    arguments = {"train": patches, "heldout": patches, **kwargs}
    with pytest.raises(ValueError) as error:
        MemorizationCallback(**arguments)
    assert str(error.value).startswith(message)


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
    """Seed 000's check: 4 images a class for 30 epochs (memorised: training
    accuracy 1, validation about 0.6) against 3,600 varied images for 6 epochs
    (validation about 0.98). Both are scored 6 times, so their class images
    had the same 6 x 20 optimisation steps; the last scores are compared."""
    (x, y), heldout, _ = shapes_data(train=1800, validation=300, test=0, size=SIZE, classes=CLASSES)
    few = 4 * CLASSES
    memorising = _final_feature_score(x[:few], y[:few], heldout, seed, 30, 8, 5, tmp_path)
    many_x, many_y = np.concatenate([x, augment(x, seed=seed)]), np.concatenate([y, y])
    generalising = _final_feature_score(many_x, many_y, heldout, seed, 6, 32, 1, tmp_path)
    assert memorising > generalising + 0.02, (memorising, generalising)
