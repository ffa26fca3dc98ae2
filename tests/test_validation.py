"""Bad input gets a clear error naming the bad value, before any optimisation."""

import re

import keras
import numpy as np
import pytest

import keras_featviz
from keras_featviz import objectives

from conftest import SIZE, tiny_classifier


@pytest.fixture(scope="module")
def model():
    return tiny_classifier()


@pytest.fixture(scope="module")
def visualizer(model):
    return keras_featviz.FeatureVisualizer(model)


@pytest.mark.parametrize(
    "target, error, message",
    [
        (3, ValueError, "Class index out of range: the classifier has 3 classes (0 to 2). Received: class=3"),
        (
            objectives.channel("conv", 8),
            ValueError,
            "Channel index out of range: layer 'conv' has 8 channels (0 to 7). Received: channel=8",
        ),
        (
            objectives.unit("conv", (14, 0, 0)),
            ValueError,
            "Unit index out of range: layer 'conv' has output shape (14, 14, 8). Received: unit=(14, 0, 0)",
        ),
        (
            "cat",
            ValueError,
            "A class name is a target only when `class_names` are given (pass them, or give "
            "the class index). Received: target='cat'",
        ),
        (
            2.0,
            TypeError,
            "A target must be a class index (int), a class name (str) or a keras_featviz objective. "
            "Received: target=2.0",
        ),
        (-1, ValueError, "A class index must be an integer >= 0. Received: class=-1"),
    ],
)
def test_bad_targets(visualizer, target, error, message):
    with pytest.raises(error, match=re.escape(message)):
        visualizer.visualize([0, target], steps=1000, verbose=0)


def test_class_names_numpy_ints_and_0d_arrays_are_targets(model):
    visualizer = keras_featviz.FeatureVisualizer(
        model, class_names=["red", "green", "blue"], seed=np.int64(3)
    )
    objectives_ = visualizer.prepare(["blue", np.int64(1), np.array(0)])
    assert [o.target_class for o in objectives_] == [2, 1, 0]
    assert visualizer.prepare(np.array(2))[0].target_class == 2
    with pytest.raises(
        ValueError,
        match=re.escape(
            "No class is named 'bleu' in `class_names`. Close names: ['blue']. Received: target='bleu'"
        ),
    ):
        visualizer.prepare(["bleu"])


@pytest.mark.parametrize("seed", [-1, 2**31, 1.5, True, "7"])
def test_seeds_outside_every_backends_range_are_refused(model, seed):
    message = f"`seed` must be None or an integer from 0 to 2147483647. Received: seed={seed!r}"
    with pytest.raises(ValueError, match=re.escape(message)):
        keras_featviz.FeatureVisualizer(model, seed=seed)
    with pytest.raises(ValueError, match=re.escape(message)):
        keras_featviz.callbacks.FeatureVisualizationCallback(log_dir="logs", seed=seed)


def test_unknown_layer_lists_close_names(visualizer):
    with pytest.raises(
        ValueError,
        match=re.escape("No layer named 'cnv' in the classifier 'tiny_cnn'. Close names: ['conv']"),
    ):
        visualizer.visualize(objectives.channel("cnv", 0), steps=1000, verbose=0)


@pytest.mark.parametrize("steps", [0, -5, 2.5])
def test_bad_steps(visualizer, steps):
    with pytest.raises(
        ValueError, match=re.escape(f"`steps` must be an integer >= 1. Received: steps={steps}")
    ):
        visualizer.visualize(0, steps=steps, verbose=0)


def test_bad_constructor_arguments(model, tmp_path):
    with pytest.raises(
        ValueError, match=re.escape("`penalty` must be a finite number >= 0 or None. Received: penalty=-0.5")
    ):
        keras_featviz.FeatureVisualizer(model, penalty=-0.5)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`generator` must be one of ['auto', 'scratch', 'pretrained', 'pixels', 'fourier', 'fourier_phase'] or a keras.Model. Received: generator='gan'"
        ),
    ):
        keras_featviz.FeatureVisualizer(model, generator="gan")
    with pytest.raises(ValueError, match="needs a `decoder`"):
        keras_featviz.FeatureVisualizer(model, generator="pretrained")
    with pytest.raises(
        ValueError, match=re.escape("`noise` must be a finite number >= 0 or None. Received: noise=-1")
    ):
        keras_featviz.FeatureVisualizer(model, noise=-1)
    with pytest.raises(
        ValueError, match=re.escape("`memory_budget` must be a finite number > 0. Received: memory_budget=0")
    ):
        keras_featviz.FeatureVisualizer(model, memory_budget=0)
    with pytest.raises(
        ValueError,
        match=re.escape("`jit_compile` must be one of [True, False, 'auto']. Received: jit_compile='xla'"),
    ):
        keras_featviz.FeatureVisualizer(model, jit_compile="xla")
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`precision` must be one of [None, 'float32', 'mixed_bfloat16', 'mixed_float16']. "
            "Received: precision='bfloat16'"
        ),
    ):
        keras_featviz.FeatureVisualizer(model, precision="bfloat16")
    missing = str(tmp_path / "missing.keras")
    with pytest.raises(FileNotFoundError, match=re.escape(f"No decoder file at {missing!r}")):
        keras_featviz.FeatureVisualizer(model, generator="pretrained", decoder=missing)
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"not a keras archive")
    with pytest.raises(ValueError, match=re.escape(f"Could not read the decoder file {str(corrupt)!r}")):
        keras_featviz.FeatureVisualizer(model, generator="pretrained", decoder=str(corrupt))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"penalty": float("nan")}, "`penalty` must be a finite number >= 0 or None. Received: penalty=nan"),
        ({"penalty": float("inf")}, "`penalty` must be a finite number >= 0 or None. Received: penalty=inf"),
        ({"penalty": True}, "`penalty` must be a finite number >= 0 or None. Received: penalty=True"),
        ({"width": 0}, "`width` must be a number in (0, 4]. Received: width=0"),
        # 4x the paper's filters is the widest: 1e4 would run out of memory, not refuse.
        ({"width": 1e4}, "`width` must be a number in (0, 4]. Received: width=10000.0"),
        ({"paper_loss": "no"}, "`paper_loss` must be True or False. Received: paper_loss='no'"),
        (
            {"class_names": "abc"},
            "`class_names` must be a list of strings, one per class. Received: class_names='abc'",
        ),
        (
            {"class_names": 5},
            "`class_names` must be a list of strings, one per class. Received: class_names=5",
        ),
        ({"noise": float("nan")}, "`noise` must be a finite number >= 0 or None. Received: noise=nan"),
        ({"batch_size": True}, "`batch_size` must be an integer >= 1. Received: batch_size=True"),
        (
            {"optimizer": keras.optimizers.Adam(learning_rate=0.0)},
            "`learning_rate` must be a finite number > 0. Received: learning_rate=0.0",
        ),
        (
            {"optimizer": keras.optimizers.SGD(learning_rate=float("nan"))},
            "`learning_rate` must be a finite number > 0. Received: learning_rate=nan",
        ),
        (
            {"memory_budget": float("inf")},
            "`memory_budget` must be a finite number > 0. Received: memory_budget=inf",
        ),
    ],
)
def test_non_finite_and_boolean_numbers_are_refused(model, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        keras_featviz.FeatureVisualizer(model, **kwargs)


def test_classifier_that_is_not_an_image_classifier():
    dense = keras.Sequential([keras.Input((10,)), keras.layers.Dense(3)])
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The classifier's input must be an image of known size, (height, width, channels). Received: input_shape=(None, 10)"
        ),
    ):
        keras_featviz.FeatureVisualizer(dense)


class _Subclassed(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = keras.layers.Conv2D(4, 3)
        self.pool = keras.layers.GlobalAveragePooling2D()
        self.probs = keras.layers.Dense(3, activation="softmax")

    def call(self, x):
        return self.probs(self.pool(self.conv(x)))


def test_subclassed_models_are_told_how_to_wrap_and_wrapped_ones_work():
    net = _Subclassed(name="net")
    net(np.zeros((1, SIZE, SIZE, 3), "float32"))
    with pytest.raises(
        ValueError, match=re.escape("The classifier is a subclassed keras.Model (_Subclassed)")
    ) as caught:
        keras_featviz.FeatureVisualizer(net)
    assert "keras.Model(inputs, model(inputs))" in str(caught.value)
    assert str(caught.value).endswith("Received: classifier='net' of class _Subclassed")
    inputs = keras.Input((SIZE, SIZE, 3))
    wrapped = keras.Model(inputs, net(inputs))
    visualizer = keras_featviz.FeatureVisualizer(wrapped, head="probabilities")
    x = np.random.default_rng(0).random((2, SIZE, SIZE, 3)).astype("float32")
    logits = visualizer.probe.model.predict(x, verbose=0)["logits"]
    np.testing.assert_allclose(logits, np.log(wrapped.predict(x, verbose=0)), atol=1e-5)


def test_a_layer_without_a_config_is_named():
    class Scale(keras.layers.Layer):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def call(self, x):
            return x * self.factor

    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.GlobalAveragePooling2D()(Scale(2.0)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3)(x))
    with pytest.raises(
        ValueError, match=re.escape("The classifier's layer 'scale' (Scale) cannot be copied from its config")
    ):
        keras_featviz.FeatureVisualizer(model)


def test_generator_output_must_fit_classifier(model):
    inputs = keras.Input((8,))
    wrong = keras.Model(inputs, keras.layers.Reshape((2, 2, 2))(inputs))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The generator's output must fit the classifier's input (16, 16, 3). Received: generator output_shape=(2, 2, 2)"
        ),
    ):
        keras_featviz.FeatureVisualizer(model, generator=wrong)


def test_non_finite_loss_stops_with_a_clear_error():
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(2, 3)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Lambda(lambda t: t * np.inf)(x)
    broken = keras.Model(inputs, keras.layers.Dense(2)(x))
    with pytest.raises(FloatingPointError, match="The visualization loss became non-finite at step 1"):
        keras_featviz.FeatureVisualizer(broken).visualize([0], steps=5, verbose=0)


@pytest.mark.parametrize("value", ["no", 1, None])
def test_switches_take_only_true_or_false(model, value):
    with pytest.raises(ValueError, match=rf"`pyramid` must be True or False. Received: pyramid={value!r}"):
        keras_featviz.FeatureVisualizer(model, pyramid=value)


def test_verbose_takes_only_keras_settings(visualizer):
    with pytest.raises(
        ValueError, match=re.escape("`verbose` must be one of ['auto', 0, 1, 2]. Received: verbose='loud'")
    ):
        visualizer.visualize([0], steps=5, verbose="loud")


def test_options_the_image_maker_ignores_are_told(model):
    with pytest.warns(UserWarning) as caught:
        visualizer = keras_featviz.FeatureVisualizer(model, width=0.25)
    assert str(caught[0].message) == (
        "`width` sets the scratch generator and is ignored by the image maker in use, "
        "'fourier' (generator='auto' on a (16, 16, 3) classifier); pass generator='scratch' to use it. "
        "Received: width=0.25"
    )
    assert visualizer.source.mode == "fourier"
    with pytest.warns(UserWarning) as caught:
        keras_featviz.FeatureVisualizer(model, "pixels", colors="decorrelated", pyramid=True)
    assert str(caught[0].message) == (
        "`colors`, `pyramid` set the scratch generator and are ignored by the image maker in use, "
        "'pixels' (generator='pixels' on a (16, 16, 3) classifier); pass generator='scratch' to use them. "
        "Received: colors='decorrelated', pyramid=True"
    )
    scratch = keras_featviz.FeatureVisualizer(model, "scratch", width=0.25, pyramid=True)
    assert (scratch.source.width, scratch.source.pyramid) == (0.25, True)


def test_the_same_target_twice_saves_both_images(model, tmp_path):
    result = keras_featviz.FeatureVisualizer(model, seed=0).visualize([0, 0], steps=2, verbose=0)
    result.save(tmp_path)
    assert result.file_names() == ["000_class_0.png", "000_class_0-2.png"]
    assert (tmp_path / "000_class_0-2.png").is_file()


def test_long_class_names_make_short_distinct_file_names_and_keep_their_labels(model, tmp_path):
    names = ["x" * 300 + "a", "x" * 300 + "b", "short"]
    result = keras_featviz.FeatureVisualizer(model, seed=0, class_names=names).visualize(
        [0, 1], steps=2, verbose=0
    )
    files = result.file_names()
    assert len(set(files)) == 2 and all(len(f) < 100 for f in files)
    assert result.labels == names[:2]
    result.save(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted([*files, "grid.png"])


def test_save_never_replaces_a_file_it_did_not_write(model, tmp_path):
    result = keras_featviz.FeatureVisualizer(model, seed=0).visualize([0], steps=2, verbose=0)
    (tmp_path / "grid.png").write_bytes(b"the user's own picture")
    with pytest.raises(FileExistsError, match="keras-featviz did not write it: it is left alone"):
        result.save(tmp_path)
    assert (tmp_path / "grid.png").read_bytes() == b"the user's own picture"
    assert not (tmp_path / "000_class_0.png").exists()  # refused before writing anything
    result.save(tmp_path / "mine")
    result.save(tmp_path / "mine")  # its own files it replaces


def test_autoencoder_arguments_and_non_finite_images_are_refused():
    dae = keras_featviz.DenoisingAutoencoder((SIZE, SIZE, 3), width=0.125)
    images = np.random.default_rng(0).uniform(0, 255, (4, SIZE, SIZE, 3)).astype("float32")
    for epochs, shown in ((-1, "-1"), ("2", "'2'")):
        with pytest.raises(
            ValueError, match=re.escape(f"`epochs` must be an integer >= 1. Received: epochs={shown}")
        ):
            dae.fit_images(images, epochs=epochs)
    images[2, 3, 3, 0] = np.nan
    with pytest.raises(
        ValueError, match=re.escape("NaN or infinity in 1 of 4 images (the first at index 2)")
    ):
        dae.fit_images(images, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=re.escape("NaN or infinity in the image at index 0")):
        dae.fit_images([images[2]], epochs=1, verbose=0)


def test_dataset_examples_refuse_non_finite_images(model):
    images = np.random.default_rng(0).uniform(0, 255, (6, SIZE, SIZE, 3)).astype("float32")
    images[4, 0, 0, 1] = np.nan
    with pytest.raises(ValueError, match=re.escape("NaN or infinity in the image at index 4")):
        keras_featviz.dataset_examples(model, images, [0], k=2)


def test_progress_in_a_log_is_one_line_without_terminal_codes(visualizer, capsys):
    visualizer.visualize([0, 1], steps=30, verbose="auto")  # captured: not a terminal
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out
    assert len(out.strip().splitlines()) == 1, out
