"""Visualization results: PNG files and labelled grids."""

import numpy as np
import pytest
from PIL import Image

import keras_featviz
from keras_featviz import objectives

from conftest import SIZE


def test_result_save_writes_pngs_and_grid(trained_classifier, tmp_path):
    visualizer = keras_featviz.FeatureVisualizer(trained_classifier, class_names=["red", "green", "blue"])
    result = visualizer.visualize([0, objectives.channel("conv", 1)], steps=2, verbose=0)
    assert result.labels == ["red", "conv/channel_1"]
    paths = result.save(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".png"))
    assert names == ["000_red.png", "001_conv-channel_1.png", "grid.png"]
    assert len(paths) == 3
    # A 16x16 image is enlarged 8x, each pixel a sharp square; the array
    # keeps the classifier's size.
    saved = np.asarray(Image.open(tmp_path / "000_red.png"))
    assert saved.shape == (128, 128, 3) and result.images.shape[1:3] == (SIZE, SIZE)
    np.testing.assert_array_equal(saved[::8, ::8], result.images[0])
    assert result.grid().size[0] >= 2 * 128


def test_a_rerun_replaces_what_the_last_wrote_and_keeps_the_users_files(trained_classifier, tmp_path):
    visualizer = keras_featviz.FeatureVisualizer(trained_classifier, seed=0)
    visualizer.visualize([0, 1, 2], steps=1, verbose=0).save(tmp_path)
    (tmp_path / "notes.png").write_bytes(b"the user's own file")
    visualizer.visualize([1], steps=1, verbose=0).save(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert names == ["001_class_1.png", "grid.png", "notes.png"]
    assert (tmp_path / "notes.png").read_bytes() == b"the user's own file"


def test_an_interrupted_write_leaves_the_old_file_and_no_partial_one(tmp_path):
    from keras_featviz.io.results import write_atomically

    path = tmp_path / "grid.png"
    path.write_bytes(b"old")

    def interrupted(temporary):
        with open(temporary, "wb") as handle:
            handle.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, interrupted)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["grid.png"]


def test_a_cut_caption_keeps_its_end_so_two_channels_read_apart():
    from PIL import ImageFont

    from keras_featviz.io.results import fit_text

    font = ImageFont.load_default()
    cut = [fit_text(f"block_10_expand_relu/channel_{c}", 108, font) for c in (17, 18)]
    assert cut[0] != cut[1]
    assert cut[0].startswith("block") and cut[0].endswith("channel_17")
    assert all(font.getlength(text) <= 108 for text in cut)
    assert fit_text("class_3", 108, font) == "class_3"
