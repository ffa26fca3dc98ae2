"""`keras-featviz attribute`: a sheet of attribution maps, a row per image."""

import os

import pytest

from keras_featviz import cli

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def _image_folder(images, folder):
    from PIL import Image

    folder.mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image).resize((40, 32)).save(folder / f"{i:02d}.png")  # another size and aspect
    return str(folder)


def test_attribute_writes_a_sheet_a_row_per_image(saved_classifier, patches, tmp_path, capsys):
    folder = _image_folder(patches[0][:3], tmp_path / "images")
    out = tmp_path / "maps"
    code = cli.main(
        ["attribute", saved_classifier, folder, "--methods", "saliency,grad_cam", "--out", str(out)]
    )
    assert code == 0
    assert os.listdir(out) == ["attribution.png"]
    from PIL import Image

    # 3 rows (a title, the 128 px tiles, captions), 3 tiles each: the image and two maps.
    # A row per image (title, tiles, captions), then the heat map's key.
    with Image.open(out / "attribution.png") as sheet:
        assert sheet.size == (3 * 128, 3 * (14 + 128 + 14) + 14)
    assert "3 images in" in capsys.readouterr().out
