"""What the commands share: loading models, the choices that must match the library's, the note on raw pixels."""

import pytest

from keras_featviz import cli

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_vgg16_without_weights_is_a_valid_model():
    model, preprocess = cli.load_classifier("vgg16", "none")
    assert model.output_shape == (None, 1000) and preprocess == "vgg16"


def test_generator_choices_match_the_library():
    from keras_featviz.makers.generator_source import CHOICES

    assert cli.GENERATORS == CHOICES


def test_attribution_methods_match_the_library():
    from keras_featviz.views.attribution import METHODS

    assert cli.ATTRIBUTION_METHODS == METHODS


def test_raw_pixels_to_a_model_that_does_not_rescale_them_get_a_note(patches, tmp_path, capsys):
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    bare = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3),
        ]
    )
    path = str(tmp_path / "bare.keras")
    bare.save(path)
    data = tmp_path / "data.npy"
    np.save(data, patches[0][:10])
    assert cli.main(["examples", path, str(data), "--k", "2", "--out", str(tmp_path / "a")]) == 0
    assert "note: the images go to the model as 0-255 pixels" in capsys.readouterr().err
    argv = ["examples", path, str(data), "--k", "2", "--preprocess", "unit", "--out", str(tmp_path / "b")]
    assert cli.main(argv) == 0
    assert "note:" not in capsys.readouterr().err
