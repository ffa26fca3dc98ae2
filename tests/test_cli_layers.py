"""`keras-featviz layers`: the layers a user can target."""

import pytest

from keras_featviz import cli

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_layers_lists_targetable_layers(saved_classifier, capsys):
    assert cli.main(["layers", saved_classifier]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["layer", "output", "channels", "activation"]
    conv = next(line for line in out.splitlines() if line.startswith("conv "))
    assert conv.split() == ["conv", "14x14x8", "8", "relu"]
