"""Visualization results: PNG files and labelled grids."""

import keras_featviz
from keras_featviz import objectives

from conftest import SIZE


def test_result_save_writes_pngs_and_grid(trained_classifier, tmp_path):
    visualizer = keras_featviz.FeatureVisualizer(
        trained_classifier, width=0.25, class_names=["red", "green", "blue"]
    )
    result = visualizer.visualize([0, objectives.channel("conv", 1)], steps=2, verbose=0)
    assert result.labels == ["red", "conv/channel_1"]
    paths = result.save(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["000_red.png", "001_conv-channel_1.png", "grid.png"]
    assert len(paths) == 3
    from PIL import Image

    assert Image.open(tmp_path / "000_red.png").size == (SIZE, SIZE)
    assert result.grid().size[0] >= 2 * SIZE
