"""Callbacks of the optimisation itself: the step image logger and early stopping."""

import pytest

import keras_featviz
from keras_featviz import objectives
from keras_featviz.callbacks import (
    ActivationEarlyStopping,
    GeneratorImageLogger,
)

from conftest import SIZE, decoded, image_steps, read_run

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends

NAMES = ["red", "green", "blue"]
FAST = {"steps": 15, "width": 0.25}


def test_generator_image_logger_and_early_stopping(trained_classifier, tmp_path):
    visualizer = keras_featviz.FeatureVisualizer(trained_classifier, "scratch", width=0.25, seed=0)
    logger = GeneratorImageLogger(tmp_path, every_n_steps=4)
    visualizer.visualize([0, objectives.channel("conv", 1)], steps=10, verbose=0, callbacks=[logger])
    visualizer.visualize([0], steps=6, verbose=0, callbacks=[logger], warm_start=True)
    logger.close()
    run = read_run(tmp_path / "generator")
    assert image_steps(run, "class_0") == [4, 8, 10, 12, 16]
    assert image_steps(run, "conv/channel_1") == [4, 8, 10]
    assert decoded(run.Tensors("class_0")[0]).size == (SIZE, SIZE)
    assert len(run.Tensors("activation/class_0")) == 5

    stop = ActivationEarlyStopping(patience=5, min_delta=1e6)
    visualizer.visualize([1, 2], steps=200, verbose=0, callbacks=[stop])  # one batch, one run
    visualizer.visualize([0], steps=200, verbose=0, callbacks=[stop])
    assert len(stop.stopped_steps) == 2
    assert all(step < 200 for step in stop.stopped_steps)
