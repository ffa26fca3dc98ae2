"""`keras-featviz examples`: the dataset examples of each target."""

import pytest

from keras_featviz import cli

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_examples_writes_a_row_per_target(saved_classifier, patches, tmp_path, capsys):
    import numpy as np

    data = tmp_path / "data.npy"
    np.save(data, patches[0][:60])
    out = tmp_path / "found"
    code = cli.main(["examples", saved_classifier, str(data), "--k", "4", "--out", str(out)])
    assert code == 0
    from PIL import Image

    with Image.open(out / "examples.png") as sheet:
        assert sheet.size == (4 * 128, 3 * (14 + 128 + 14))
    assert "3 targets in" in capsys.readouterr().out


def test_examples_take_class_names_in_classes(saved_classifier, patches, tmp_path, capsys):
    import numpy as np

    data = tmp_path / "data.npy"
    np.save(data, patches[0][:30])
    names = tmp_path / "names.txt"
    names.write_text("red\ngreen\nblue\n")
    argv = ["examples", saved_classifier, str(data), "--class-names", str(names), "--classes", "blue,red"]
    assert cli.main([*argv, "--k", "2", "--out", str(tmp_path / "found")]) == 0
    assert "2 targets in" in capsys.readouterr().out
