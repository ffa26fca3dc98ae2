"""`MemorizationCallback`: the scores, the shift and the nearest images in TensorBoard, epoch by epoch."""

import keras
import numpy as np
import pytest

from keras_featviz.callbacks import MemorizationCallback

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_callback_logs_the_scores_every_epoch(patches, tmp_path):
    from conftest import colour_patches, decoded, fit_seeded, image_steps, read_run, tensor_value

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
        "memorization/accuracy_gap",
        "memorization/input_shift",
        "memorization/residual_shift",
    }
    per_class = ("memorization/features", "memorization/pixels", "memorization/accuracy_gap")
    expected |= {f"{kind}/{n}" for kind in per_class for n in names}
    expected |= {f"nearest/{n}" for n in names}
    assert set(run.Tags()["tensors"]) == expected
    for tag in expected:
        assert image_steps(run, tag) == [0, 1], tag
    # The class image and the 5 nearest images, 3 tiles a line, under a title.
    assert decoded(run.Tensors("nearest/green")[-1]).size == (3 * 112, 14 + 2 * (112 + 14))
    assert callback.last_nearest.labels == names
    last = callback.history[1]
    assert tensor_value(run.Tensors("memorization/features")[-1]) == pytest.approx(
        last["features"].mean(), rel=1e-5
    )
    assert tensor_value(run.Tensors("memorization/pixels/blue")[-1]) == pytest.approx(
        last["pixels"][2], rel=1e-5
    )
    assert tensor_value(run.Tensors("memorization/accuracy_gap/red")[-1]) == pytest.approx(
        last["accuracy_gap"][0], abs=1e-6
    )


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
