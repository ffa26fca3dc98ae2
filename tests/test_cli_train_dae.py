"""`keras-featviz train-dae`: an autoencoder from an image folder, then its decoder as the pretrained generator."""

import os

import pytest

from keras_featviz import cli

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_train_dae_then_visualize_in_pretrained_mode(saved_classifier, patches, tmp_path, capsys):
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    # The user's photos come in any sizes: train-dae crops them.
    for i, image in enumerate(patches[0][:64]):
        size = (16 + i % 5 * 9, 16 + i % 3 * 20)
        Image.fromarray(image).resize(size).save(folder / f"{i}.png")
    decoder = tmp_path / "models" / "dae.keras"
    assert (
        cli.main(
            [
                "train-dae",
                str(folder),
                "--size",
                "16",
                "--epochs",
                "1",
                "--width",
                "0.25",
                "--out",
                str(decoder),
            ]
        )
        == 0
    )
    assert decoder.exists()
    out = tmp_path / "out"
    assert (
        cli.main(
            [
                "visualize",
                saved_classifier,
                "--mode",
                "pretrained",
                "--decoder",
                str(decoder),
                "--steps",
                "3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert len([name for name in os.listdir(out) if name.endswith(".png")]) == 4
    printed = capsys.readouterr().out
    assert "random 16x16 crops and mirror images of 64 images" in printed
    # Read at most twice the crop side on the shorter side (memory bound).
    assert "(shorter sides 16-32 px)" in printed
