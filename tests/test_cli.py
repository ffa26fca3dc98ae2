"""The command line: the demo runs end to end at a small size; bad input is one line."""

import os

import pytest

from keras_featviz import cli


def test_demo_writes_grids_for_both_modes(tmp_path, capsys):
    out = str(tmp_path / "demo")
    code = cli.main(["demo", "--out", out, "--size", "16", "--classes", "3", "--train", "120",
                     "--epochs", "1", "--dae-epochs", "1", "--steps", "2"])
    assert code == 0
    for mode in ("scratch", "pretrained"):
        assert os.path.exists(os.path.join(out, mode, "grid.png"))
        assert len(os.listdir(os.path.join(out, mode))) == 4
    assert "planted cue" in capsys.readouterr().out


def test_bad_arguments_give_one_line(capsys):
    assert cli.main(["demo", "--classes", "30"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    with pytest.raises(SystemExit):
        cli.main(["demo", "--steps", "0"])
