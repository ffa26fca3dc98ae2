"""The examples run, at small settings; those needing ImageNet fail clearly offline."""

import pathlib
import runpy

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
SMALL = ["--train", "72", "--epochs", "1", "--steps", "2", "--size", "16"]


def run_example(name, argv, tmp_path):
    module = runpy.run_path(str(EXAMPLES / name))
    return module["main"](argv + ["--out", str(tmp_path / "out")])


@pytest.mark.parametrize(
    "name", ["train_with_callback.py", "layer_filters.py", "compound_classes.py", "detect_planted_bias.py"]
)
def test_cheap_examples_run(name, tmp_path):
    argv = SMALL if name != "layer_filters.py" else SMALL + ["--filters", "2"]
    if name in ("train_with_callback.py", "detect_planted_bias.py"):
        argv = argv + ["--classes", "3"]
    if name == "detect_planted_bias.py":
        argv = argv + ["--cue-class", "1"]
    run_example(name, argv, tmp_path)
    written = list((tmp_path / "out").rglob("*.png"))
    assert written, f"{name} wrote no images"


def test_every_example_says_what_it_shows_and_how_long():
    for path in EXAMPLES.glob("*.py"):
        header = path.read_text().split('"""')[1]
        assert "Shows:" in header and "Takes:" in header, path.name


def test_imagenet_example_fails_clearly_offline(tmp_path, monkeypatch):
    import keras

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: no network")

    monkeypatch.setattr(keras.applications, "VGG16", offline)
    with pytest.raises(SystemExit) as raised:
        run_example("vgg16_all_classes.py", [], tmp_path)
    assert "needs internet once" in str(raised.value)
