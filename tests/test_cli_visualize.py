"""`keras-featviz visualize`: classes and channels of a saved model, its flags checked by the library's rules."""

import os
import time
from types import SimpleNamespace

import pytest

from keras_featviz import cli
from keras_featviz.cli import visualize as visualize_command

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_visualize_classes_and_channels_of_a_saved_model(saved_classifier, tmp_path, capsys):
    out, logs = tmp_path / "out", tmp_path / "logs"
    code = cli.main(
        [
            "visualize",
            saved_classifier,
            "--classes",
            "0-1",
            "--layer",
            "conv",
            "--channels",
            "2,5",
            "--steps",
            "5",
            "--mode",
            "scratch",
            "--width",
            "0.25",
            "--preprocess",
            "none",
            "--out",
            str(out),
            "--logdir",
            str(logs),
            "--precision",
            "mixed_bfloat16",
        ]
    )
    assert code == 0
    assert sorted(n for n in os.listdir(out) if n.endswith(".png")) == [
        "000_class_0.png",
        "001_class_1.png",
        "002_conv-channel_2.png",
        "003_conv-channel_5.png",
        "grid.png",
    ]
    assert os.listdir(logs / "featviz")
    printed = capsys.readouterr().out
    # What "auto" became is said before the work: the transforms and, where on, the prior.
    assert "Visualizing 4 targets of 'tiny_cnn' (scratch generator, no transforms, 5 steps" in printed
    assert f"tensorboard --logdir {logs}" in printed


def test_unwritable_outputs_are_refused_before_any_work(saved_classifier, tmp_path, capsys, monkeypatch):
    from PIL import Image

    monkeypatch.chdir(tmp_path)  # where the default --out would go

    folder = tmp_path / "images"
    folder.mkdir()
    Image.new("RGB", (20, 20)).save(folder / "a.png")
    taken = tmp_path / "taken"
    taken.write_text("a file the user owns")
    cases = [
        (
            ["train-dae", str(folder), "--out", str(tmp_path / "dae.h5")],
            f"error: `--out` must name a .keras file. Received: --out='{tmp_path / 'dae.h5'}'",
        ),
        (
            ["train-dae", str(folder), "--out", str(taken / "dae.keras")],
            f"error: Cannot write files in '{taken}'",
        ),
        (["visualize", saved_classifier, "--out", str(taken)], f"error: Cannot write files in '{taken}'"),
        (["visualize", saved_classifier, "--logdir", str(taken)], f"error: Cannot write files in '{taken}'"),
    ]
    for argv, message in cases:
        started = time.perf_counter()
        assert cli.main(argv) == 2
        assert time.perf_counter() - started < 5, argv
        assert message in capsys.readouterr().err, argv
    assert taken.read_text() == "a file the user owns"
    # A refused run leaves nothing behind, not even the default --out folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "taken", "tiny.keras"]


def test_numbers_are_checked_by_the_library_rule(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["visualize", "vgg16", "--width", "0"])
    assert stopped.value.code == 2
    assert (
        "error: argument --width: `--width` must be a number in (0, 4]. Received: --width=0.0"
        in capsys.readouterr().err
    )


def test_a_logged_run_prints_only_its_own_lines(saved_classifier, tmp_path):
    """As in a CI log: no TensorFlow C++ lines on stderr, no progress-bar codes."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    argv = ["visualize", saved_classifier, "--steps", "2", "--out", str(tmp_path / "out")]
    argv += ["--logdir", str(tmp_path / "logs")]
    run = subprocess.run(
        [sys.executable, "-m", "keras_featviz.cli", *argv], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert "\x1b[" not in run.stdout and "\r" not in run.stdout
    assert "Under each image: p = the classifier's probability of the target class" in run.stdout


def test_all_classes_in_chunks_say_how_long_is_left(saved_classifier, tmp_path, capsys):
    code = cli.main(
        ["visualize", saved_classifier, "--classes", "all", "--batch-size", "2", "--steps", "3"]
        + ["--out", str(tmp_path / "out")]
    )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    chunks = [line for line in lines if line.startswith("Targets ")]
    assert chunks[0] == "Targets 1-2 of 3"
    assert chunks[1].startswith("Targets 3-3 of 3, about ") and chunks[1].endswith(" left")


def test_the_statistics_prior_is_named_where_it_is_on():
    on, off = SimpleNamespace(statistics_weight=0.005), SimpleNamespace(statistics_weight=0.0)
    assert visualize_command._prior_note(on) == ", statistics prior 0.005"
    assert visualize_command._prior_note(off) == ""
