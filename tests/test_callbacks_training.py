"""The training callbacks, read back with TensorBoard's own reader and server."""

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import keras
import numpy as np
import pytest
from PIL import Image

import keras_featviz
from keras_featviz import objectives
from keras_featviz.callbacks import (
    FeatureVisualizationCallback,
)

from conftest import SIZE, decoded, fit_seeded, image_steps, read_run, tensor_value, tiny_classifier

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends

NAMES = ["red", "green", "blue"]
FAST = {"steps": 15, "width": 0.25}


def compiled(model=None):
    model = model or tiny_classifier()
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class CountEpochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.begun = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.begun += 1


def test_logs_images_grid_and_scalars_every_epoch(patches, tmp_path):
    callback = FeatureVisualizationCallback(
        log_dir=tmp_path, class_names=NAMES, image_dir=tmp_path / "png", **FAST
    )
    compiled().fit(*patches, epochs=2, batch_size=32, verbose=0, callbacks=[callback])

    run = read_run(tmp_path / "featviz")
    tags = set(run.Tags()["tensors"])
    expected = set(NAMES) | {"grid", "success_rate", "steps", "visualization_seconds"}
    expected |= {f"activation/{n}" for n in NAMES} | {f"probability/{n}" for n in NAMES}
    assert tags == expected
    for tag in NAMES + [
        "grid",
        "activation/red",
        "probability/blue",
        "success_rate",
        "steps",
        "visualization_seconds",
    ]:
        assert image_steps(run, tag) == [0, 1], tag
    assert decoded(run.Tensors("red")[0]).size == (SIZE, SIZE)
    grid = decoded(run.Tensors("grid")[-1])
    assert grid.size[0] >= 3 * SIZE
    assert sorted(os.listdir(tmp_path / "png")) == ["epoch_001", "epoch_002"]
    assert "grid.png" in os.listdir(tmp_path / "png" / "epoch_002")


def test_every_n_epochs_and_after_the_last(patches, tmp_path):
    callback = FeatureVisualizationCallback(
        [0, objectives.channel("conv", 2)], log_dir=tmp_path, every_n_epochs=2, **FAST
    )
    compiled().fit(*patches, epochs=5, batch_size=64, verbose=0, callbacks=[callback])
    run = read_run(tmp_path / "featviz")
    assert image_steps(run, "class_0") == [1, 3, 4]
    assert image_steps(run, "conv/channel_2") == [1, 3, 4]
    assert "probability/conv/channel_2" not in run.Tags()["tensors"]
    assert callback.logged_epochs == [1, 3, 4]


def test_training_is_identical_with_and_without_the_callback(patches, tmp_path):
    plain = fit_seeded(patches, [])
    callback = FeatureVisualizationCallback(log_dir=tmp_path, seed=None, examples=patches[0][:50], **FAST)
    watched = fit_seeded(patches, [callback])
    assert callback.logged_epochs == [0, 1]
    for a, b in zip(plain.get_weights(), watched.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(watched.optimizer.iterations) == int(plain.optimizer.iterations)
    for a, b in zip(plain.optimizer.variables, watched.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert [layer.trainable for layer in watched.layers] == [layer.trainable for layer in plain.layers]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"targets": [0, 3]},
            "Class index out of range: the classifier has 3 classes (0 to 2). Received: class=3",
        ),
        (
            {"targets": objectives.channel("conv1", 0)},
            "No layer named 'conv1' in the classifier 'tiny_cnn'. Close names: ['conv']. Received: layer='conv1'",
        ),
        (
            {"targets": objectives.channel("conv", 8)},
            "Channel index out of range: layer 'conv' has 8 channels (0 to 7). Received: channel=8",
        ),
        (
            {
                "generator": keras.Sequential(
                    [keras.Input((4,)), keras.layers.Dense(8 * 8 * 3), keras.layers.Reshape((8, 8, 3))]
                ),
                "width": "auto",  # FAST's is the scratch generator's
            },
            "The generator's output must fit the classifier's input (16, 16, 3). Received: generator output_shape=(8, 8, 3)",
        ),
        ({"class_names": ["red"]}, "`class_names` must name all 3 classes. Received: 1 class_names"),
    ],
)
def test_misconfiguration_raises_before_the_first_epoch(patches, tmp_path, kwargs, message):
    counter = CountEpochs()
    callback = FeatureVisualizationCallback(log_dir=tmp_path, **{**FAST, **kwargs})
    with pytest.raises(ValueError) as raised:
        compiled().fit(*patches, epochs=1, verbose=0, callbacks=[callback, counter])
    assert message in str(raised.value)
    assert counter.begun == 0


def test_unwritable_log_dir_raises_before_the_first_epoch(patches, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    counter = CountEpochs()
    callback = FeatureVisualizationCallback(log_dir=blocker, **FAST)
    with pytest.raises(ValueError, match=r"Received: log_dir='.*a_file/featviz'"):
        compiled().fit(*patches, epochs=1, verbose=0, callbacks=[callback, counter])
    assert counter.begun == 0
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": 0}, "`steps` must be an integer >= 1. Received: steps=0"),
        ({"max_overhead": 0}, "`max_overhead` must be a finite number > 0 or None. Received: max_overhead=0"),
        (
            {"max_overhead": "10%"},
            "`max_overhead` must be a finite number > 0 or None. Received: max_overhead='10%'",
        ),
        ({"every_n_epochs": 1.5}, "`every_n_epochs` must be an integer >= 1. Received: every_n_epochs=1.5"),
        (
            {"generator": "gan"},
            "`generator` must be one of ['auto', 'scratch', 'pretrained', 'pixels', 'fourier', 'fourier_phase'] or a keras.Model. Received: generator='gan'",
        ),
        ({"log_dir": None}, "`log_dir` must be a directory path. Received: log_dir=None"),
        (
            {"run_name": ""},
            "`run_name` must be a non-empty folder name inside `log_dir`, without '..'. Received: run_name=''",
        ),
        (
            {"run_name": "a/../../x"},
            "`run_name` must be a non-empty folder name inside `log_dir`, without '..'. "
            "Received: run_name='a/../../x'",
        ),
    ],
)
def test_bad_arguments_raise_in_init(kwargs, message):
    with pytest.raises(ValueError) as raised:
        FeatureVisualizationCallback(**kwargs)
    assert str(raised.value) == message


def test_a_failed_visualization_is_skipped_and_training_goes_on(patches, tmp_path, monkeypatch):
    original = keras_featviz.FeatureVisualizer.visualize
    calls = []

    def fails_once(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise FloatingPointError("The visualization loss became non-finite (injected)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(keras_featviz.FeatureVisualizer, "visualize", fails_once)
    callback = FeatureVisualizationCallback(log_dir=tmp_path, **FAST)
    with pytest.warns(
        RuntimeWarning,
        match="images of epoch 1 failed and are skipped; training goes on and the next ones start afresh",
    ):
        history = compiled().fit(*patches, epochs=3, batch_size=64, verbose=0, callbacks=[callback])
    assert len(history.history["loss"]) == 3
    assert callback.skipped_epochs == [0]
    assert image_steps(read_run(tmp_path / "featviz"), "class_0") == [1, 2]


def test_an_interrupted_run_leaves_readable_event_files(patches, tmp_path):
    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    callback = FeatureVisualizationCallback(log_dir=tmp_path, **FAST)
    with pytest.raises(KeyboardInterrupt):
        compiled().fit(*patches, epochs=5, batch_size=64, verbose=0, callbacks=[callback, Interrupt()])
    assert image_steps(read_run(tmp_path / "featviz"), "class_1") == [0, 1]
    callback.writer.close()


class Batches(keras.utils.PyDataset):
    def __init__(self, images, labels):
        super().__init__()
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.images) // 64

    def __getitem__(self, i):
        return self.images[i * 64 : (i + 1) * 64], self.labels[i * 64 : (i + 1) * 64]


def _python_generator(images, labels):
    while True:
        for i in range(0, len(images) - 63, 64):
            yield images[i : i + 64], labels[i : i + 64]


@pytest.mark.parametrize("form", ["py_dataset", "generator", "tf_data"])
def test_any_fit_input_works(patches, tmp_path, form):
    images, labels = patches
    if form == "py_dataset":
        data, kwargs = (Batches(images, labels),), {}
    elif form == "generator":
        data, kwargs = (_python_generator(images, labels),), {"steps_per_epoch": 4, "shuffle": False}
    else:
        import tensorflow as tf

        data, kwargs = (tf.data.Dataset.from_tensor_slices((images, labels)).batch(64),), {"shuffle": False}
    callback = FeatureVisualizationCallback(log_dir=tmp_path, steps=5, width=0.25)
    compiled().fit(*data, epochs=1, verbose=0, callbacks=[callback], **kwargs)
    assert image_steps(read_run(tmp_path / "featviz"), "grid") == [0]


def test_warm_start_reuses_one_compiled_model(patches, tmp_path, monkeypatch):
    from keras_featviz import visualizer as module

    built = []
    original = module.CoupledModel.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(module.CoupledModel, "__init__", counting)
    callback = FeatureVisualizationCallback(log_dir=tmp_path, **FAST)
    model = compiled()
    model.fit(*patches, epochs=3, batch_size=64, verbose=0, callbacks=[callback])
    assert len(built) == 1
    kept = [o for o, _ in callback.visualizer.warm_states.items()]
    assert sorted(o.name for o in kept) == ["class_0", "class_1", "class_2"]
    # A second fit of the same model continues: same visualizer, steps go on.
    visualizer = callback.visualizer
    model.fit(*patches, epochs=4, initial_epoch=3, batch_size=64, verbose=0, callbacks=[callback])
    assert callback.visualizer is visualizer and len(built) == 1
    assert image_steps(read_run(tmp_path / "featviz"), "class_2") == [0, 1, 2, 3]


def test_pretrained_generator_in_the_callback(patches, tmp_path):
    images, labels = patches
    dae = keras_featviz.DenoisingAutoencoder((SIZE, SIZE, 3), width=0.25, seed=0)
    dae.fit_images(images, epochs=1, batch_size=64, verbose=0)
    callback = FeatureVisualizationCallback(
        log_dir=tmp_path, generator="pretrained", decoder=dae, class_names=NAMES, steps=10
    )
    compiled().fit(images, labels, epochs=2, batch_size=64, verbose=0, callbacks=[callback])
    assert callback.last_result.images.shape == (3, SIZE, SIZE, 3)
    assert image_steps(read_run(tmp_path / "featviz"), "blue") == [0, 1]


@pytest.mark.parametrize("generator", ["scratch", "fourier"])
def test_transforms_and_parameterisations_in_the_callback(patches, tmp_path, generator):
    callback = FeatureVisualizationCallback(
        log_dir=tmp_path,
        generator=generator,
        transforms="standard",
        class_names=NAMES,
        **{**FAST, "width": 0.25 if generator == "scratch" else "auto"},
    )
    compiled().fit(*patches, epochs=2, batch_size=64, verbose=0, callbacks=[callback])
    assert callback.visualizer.transforms == "standard"
    assert callback.logged_epochs == [0, 1]
    assert image_steps(read_run(tmp_path / "featviz"), "green") == [0, 1]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url, deadline):
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_the_real_tensorboard_serves_runs_tags_and_images(patches, tmp_path):
    callback = FeatureVisualizationCallback(log_dir=tmp_path, class_names=NAMES, **FAST)
    compiled().fit(
        *patches,
        epochs=1,
        batch_size=64,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(str(tmp_path)), callback],
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            str(tmp_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--reload_interval",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 90
        while True:
            runs = json.loads(_get(f"{base}/data/runs", deadline))
            tags = json.loads(_get(f"{base}/data/plugin/images/tags", deadline))
            if "featviz" in tags or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert {"featviz", "train"} <= set(runs)
        assert set(tags["featviz"]) == set(NAMES) | {"grid"}
        query = urllib.parse.urlencode({"run": "featviz", "tag": "green"})
        (entry,) = json.loads(_get(f"{base}/data/plugin/images/images?{query}", deadline))
        png = _get(f"{base}/data/plugin/images/individualImage?{entry['query']}", deadline)
        assert Image.open(io.BytesIO(png)).size == (SIZE, SIZE)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_steps_are_cut_to_the_overhead_budget(patches, tmp_path):
    images, labels = patches
    tight = FeatureVisualizationCallback(log_dir=tmp_path / "tight", steps=8, max_overhead=1e-6, width=0.25)
    free = FeatureVisualizationCallback(log_dir=tmp_path / "free", steps=8, max_overhead=None, width=0.25)
    with pytest.warns(RuntimeWarning) as caught:
        compiled().fit(images, labels, epochs=4, batch_size=64, verbose=0, callbacks=[tight, free])
    # The first visualization runs `steps` and is timed; then a budget of
    # almost nothing leaves the 3 steps every visualization keeps; the last
    # epoch, whose images the user keeps, runs 8 and the 2 x 5 cut before.
    assert tight.steps_run == {0: 8, 1: 3, 2: 3, 3: 18}
    assert free.steps_run == {0: 8, 1: 8, 2: 8, 3: 8}
    run = read_run(tmp_path / "tight" / "featviz")
    assert image_steps(run, "class_0") == [0, 1, 2, 3]
    # Said once, with the numbers and the way out; logged every epoch.
    cut = [str(w.message) for w in caught if "max_overhead" in str(w.message)]
    assert cut == [
        "FeatureVisualizationCallback: epoch 2 ran 3 of the 8 steps asked for each of 3 targets, to "
        "keep the visualization within max_overhead=1e-06 of the training time; its images may "
        "change little from epoch to epoch. Pass max_overhead=None to run every step, a larger "
        "max_overhead, or fewer targets. (Warned once; the `steps` scalar logs the steps of every epoch.)"
    ]
    steps = [(e.step, float(tensor_value(e))) for e in run.Tensors("steps")]
    assert sorted(steps) == [(0, 8.0), (1, 3.0), (2, 3.0), (3, 18.0)]


def test_dataset_examples_beside_each_synthesized_image(patches, tmp_path):
    x_val, y_val = patches[0][:120], patches[1][:120]
    callback = FeatureVisualizationCallback(
        log_dir=tmp_path,
        class_names=NAMES,
        examples=(x_val, y_val),
        examples_k=4,
        image_dir=tmp_path / "png",
        **FAST,
    )
    model = compiled()
    model.fit(*patches, epochs=2, batch_size=32, verbose=0, callbacks=[callback])
    run = read_run(tmp_path / "featviz")
    for name in NAMES:
        assert image_steps(run, f"examples/{name}") == [0, 1]
        # The synthesized image, then 4 examples, under a title line: laid out for
        # TensorBoard's 350-pixel cards, 3 tiles of 112 px a line, so 2 lines.
        assert decoded(run.Tensors(f"examples/{name}")[-1]).size == (3 * 112, 14 + 2 * (112 + 14))
    assert image_steps(run, "examples_seconds") == [0, 1]
    assert "examples.png" in os.listdir(tmp_path / "png" / "epoch_002")
    # The examples of the last epoch are the trained model's best images: its own class.
    found = callback.last_examples
    assert [set(found.classes[t]) for t in range(3)] == [{0}, {1}, {2}]
    expected = keras_featviz.dataset_examples(model, (x_val, y_val), [0, 1, 2], k=4)
    np.testing.assert_array_equal(found.indices, expected.indices)


def test_examples_that_do_not_fit_raise_before_the_first_epoch(patches, tmp_path):
    callback = FeatureVisualizationCallback(log_dir=tmp_path, examples=np.zeros((5, 8, 8, 3)), **FAST)
    counter = CountEpochs()
    with pytest.raises(ValueError, match=r"Images must be \(N, 16, 16, 3\) for this classifier"):
        compiled().fit(*patches, epochs=1, verbose=0, callbacks=[callback, counter])
    assert counter.begun == 0


def test_examples_are_read_as_fit_reads_them_whatever_preprocess_says(patches, tmp_path):
    # A model that takes [0, 1] images: `preprocess="unit"` maps the generated
    # pixels for it, and the examples data is already in [0, 1], as `fit` gets it.
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3)),
            keras.layers.Conv2D(8, 3, activation="relu", name="conv"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    x, y = patches[0] / 255.0, patches[1]
    callback = FeatureVisualizationCallback(
        log_dir=tmp_path, preprocess="unit", examples=(x[:90], y[:90]), examples_k=3, **FAST
    )
    compiled(model).fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[callback])
    expected = keras_featviz.dataset_examples(model, (x[:90], y[:90]), [0, 1, 2], k=3)
    np.testing.assert_array_equal(callback.last_examples.indices, expected.indices)
    np.testing.assert_array_equal(callback.last_examples.images, expected.images)


def test_failing_examples_warn_and_keep_the_images(patches, tmp_path, monkeypatch):
    from keras_featviz.views.dataset_search import ExampleFinder

    def fails(self, data):
        raise RuntimeError("no disk")

    monkeypatch.setattr(ExampleFinder, "find", fails)
    callback = FeatureVisualizationCallback(log_dir=tmp_path, examples=patches[0][:30], **FAST)
    with pytest.warns(RuntimeWarning, match=r"dataset examples of epoch 1 failed and are skipped.*no disk"):
        compiled().fit(*patches, epochs=1, batch_size=64, verbose=0, callbacks=[callback])
    assert callback.logged_epochs == [0]
    run = read_run(tmp_path / "featviz")
    assert image_steps(run, "class_0") == [0]
    assert not any(tag.startswith("examples/") for tag in run.Tags()["tensors"])
