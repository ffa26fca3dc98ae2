"""`AttributionCallback`: maps of fixed images in TensorBoard while the model trains."""

import keras
import numpy as np
import pytest

from keras_featviz.callbacks import AttributionCallback
from keras_featviz.views.attribution import Attributor

from conftest import decoded, fit_seeded, image_steps, read_run, tensor_value, tiny_classifier, weights_digest

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends

NAMES = ["red", "green", "blue"]


def compiled(model=None):
    model = model or tiny_classifier()
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_logs_one_strip_per_image_and_its_probability(patches, tmp_path):
    images, labels = patches[0][:3], patches[1][:3]
    callback = AttributionCallback(
        images,
        labels,
        methods=["saliency", "grad_cam"],
        log_dir=tmp_path,
        class_names=NAMES,
        max_overhead=None,
    )
    model = compiled()
    model.fit(*patches, epochs=2, batch_size=32, verbose=0, callbacks=[callback])

    run = read_run(tmp_path / "attribution")
    strips = [f"attribution/{i:02d}_{NAMES[k]}" for i, k in enumerate(labels)]
    probabilities = [t.replace("attribution/", "attribution_probability/") for t in strips]
    assert set(run.Tags()["tensors"]) == {
        *strips,
        *probabilities,
        "attribution_seconds",
        "attribution_skipped",
    }
    for tag in strips + probabilities:
        assert image_steps(run, tag) == [0, 1], tag
    # The image, then one heat map per method, a title and captions; laid out for
    # TensorBoard's 350-pixel cards: tiles of 112 px, 3 a line; then the heat map's key.
    assert decoded(run.Tensors(strips[0])[-1]).size == (3 * 112, 112 + 2 * 14 + 14)
    # The last maps are the trained model's: the same as an Attributor's now.
    expected = Attributor(model, class_names=NAMES).attribute(images, ["saliency", "grad_cam"])
    np.testing.assert_allclose(callback.last_result.maps["saliency"], expected.maps["saliency"], rtol=1e-4)
    logged = tensor_value(run.Tensors(probabilities[0])[-1])
    assert logged == pytest.approx(expected.probabilities[0, expected.target_classes[0]], rel=1e-4)


def test_training_is_identical_with_and_without_the_callback(patches, tmp_path):
    plain = fit_seeded(patches, [])
    callback = AttributionCallback(
        patches[0][:4], methods=["smoothgrad", "occlusion"], log_dir=tmp_path, max_overhead=None, seed=None
    )
    watched = fit_seeded(patches, [callback])
    assert callback.logged_epochs == [0, 1]
    assert weights_digest(watched) == weights_digest(plain)
    for a, b in zip(plain.optimizer.variables, watched.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_failed_epoch_warns_and_training_goes_on(patches, tmp_path, monkeypatch):
    callback = AttributionCallback(patches[0][:2], log_dir=tmp_path, max_overhead=None)
    calls = {"n": 0}
    original = Attributor.attribute

    def fails_on_the_third_call(self, *args, **kwargs):
        calls["n"] += 1  # the first call is the check in on_train_begin
        if calls["n"] == 2:
            raise RuntimeError("boom")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Attributor, "attribute", fails_on_the_third_call)
    with pytest.warns(
        RuntimeWarning,
        match=r"attribution maps of epoch 1 failed and are skipped; training goes on\. \(RuntimeError: boom\)",
    ):
        compiled().fit(*patches, epochs=2, batch_size=32, verbose=0, callbacks=[callback])
    assert callback.skipped_epochs == [0]
    assert callback.logged_epochs == [1]


def test_the_budget_skips_epochs_and_says_so(patches, tmp_path):
    # SmoothGrad of 16 images x 64 samples costs far more than an epoch of 96 images.
    callback = AttributionCallback(
        patches[0][:16], methods="smoothgrad", samples=64, log_dir=tmp_path, max_overhead=0.01
    )
    with pytest.warns(
        RuntimeWarning, match=r"AttributionCallback: epoch 2 is skipped: the last attribution maps took"
    ):
        compiled().fit(
            patches[0][:96], patches[1][:96], epochs=3, batch_size=32, verbose=0, callbacks=[callback]
        )
    assert callback.logged_epochs == [0, 2]  # the last epoch is always shown
    assert callback.over_budget_epochs == [1]
    assert callback.skipped_epochs == []
    run = read_run(tmp_path / "attribution")
    assert image_steps(run, "attribution_seconds") == [0, 2]
    # TensorBoard shows plainly which epoch has no maps.
    skipped = sorted((e.step, float(tensor_value(e))) for e in run.Tensors("attribution_skipped"))
    assert skipped == [(0, 0.0), (1, 1.0), (2, 0.0)]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"methods": ["saliency", "lrp"]}, "`methods` must be one or more of"),
        ({"labels": [0, 1]}, "`labels` must give one class per image. Received: 2 labels for 3 images"),
        ({"every_n_epochs": 0}, "`every_n_epochs` must be an integer >= 1. Received: every_n_epochs=0"),
        ({"max_overhead": 0}, "`max_overhead` must be a finite number > 0 or None. Received: max_overhead=0"),
        (
            {"run_name": "../../x"},
            "`run_name` must be a non-empty folder name inside `log_dir`, without '..'. Received: run_name='../../x'",
        ),
    ],
)
def test_bad_arguments_raise_in_init(patches, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        AttributionCallback(patches[0][:3], **kwargs)


def test_images_that_do_not_fit_raise_before_the_first_epoch(patches, tmp_path):
    callback = AttributionCallback(np.zeros((2, 8, 8, 3)), log_dir=tmp_path)
    epochs = []
    counter = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs.append(epoch))
    with pytest.raises(ValueError, match=r"Images must be an array \(N, 16, 16, 3\) for this classifier"):
        compiled().fit(*patches, epochs=1, verbose=0, callbacks=[callback, counter])
    assert epochs == []


def test_labels_out_of_range_raise_before_the_first_epoch(patches, tmp_path):
    callback = AttributionCallback(patches[0][:2], [0, 99], log_dir=tmp_path)
    with pytest.raises(
        ValueError, match=r"`labels` must be class indices from 0 to 2. Received: labels with 99"
    ):
        compiled().fit(*patches, epochs=1, verbose=0, callbacks=[callback])


def test_a_failing_flush_warns_and_training_goes_on(patches, tmp_path, monkeypatch):
    from keras_featviz.io.tensorboard import EventWriter

    callback = AttributionCallback(patches[0][:2], log_dir=tmp_path, max_overhead=None)

    def disk_full(self):
        raise OSError("No space left on device")

    monkeypatch.setattr(EventWriter, "flush", disk_full)
    with pytest.warns(
        RuntimeWarning, match=r"failed and are skipped; training goes on\. \(OSError"
    ) as caught:
        history = compiled().fit(*patches, epochs=2, batch_size=32, verbose=0, callbacks=[callback])
    ours = [str(w.message) for w in caught if str(w.message).startswith("AttributionCallback")]
    assert [message.split(" failed")[0][-7:] for message in ours] == ["epoch 1", "epoch 2"]
    assert len(history.history["loss"]) == 2
    assert callback.skipped_epochs == [0, 1]
