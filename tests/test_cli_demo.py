"""`keras-featviz demo`: the demo end to end at a small size."""

import os

import pytest

from keras_featviz import cli

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_demo_writes_grids_for_both_modes(tmp_path, capsys, caplog):
    out = str(tmp_path / "demo")
    code = cli.main(
        [
            "demo",
            "--out",
            out,
            "--size",
            "16",
            "--classes",
            "3",
            "--train",
            "120",
            "--epochs",
            "1",
            "--dae-epochs",
            "1",
            "--steps",
            "2",
        ]
    )
    assert code == 0
    for mode in ("scratch", "pretrained"):
        assert os.path.exists(os.path.join(out, mode, "grid.png"))
        assert len([n for n in os.listdir(os.path.join(out, mode)) if n.endswith(".png")]) == 4
    assert os.path.exists(os.path.join(out, "cue_samples.png"))
    printed = capsys.readouterr().out
    assert "Over 5 images of the class from independent starts" in printed
    # One figure an epoch, from the training callback's images.
    assert "The training callback's image of 'circle_line', epoch by epoch (training/): " in printed
    # The demo's own image makers trace once each: TensorFlow must not call it retracing.
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
