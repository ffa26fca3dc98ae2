"""The loop: chunks train, reset and warm-start each target from its own state."""

import keras
import numpy as np
import pytest

import keras_featviz

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


class StartRecorder(keras.callbacks.Callback):
    """The coupled model's trainable values when a chunk starts training."""

    def on_train_begin(self, logs=None):
        self.values = [keras.ops.convert_to_numpy(v) for v in self.model.trainable_variables]
        self.iterations = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))


def test_warm_start_resumes_each_target_from_its_latest_state(trained_classifier):
    visualizer = keras_featviz.FeatureVisualizer(
        trained_classifier, "scratch", width=0.25, seed=0, batch_size=2
    )
    visualizer.visualize([0, 1], steps=2, verbose=0, warm_start=True)
    # Target 1 moves on alone, in another compiled model (one row).
    visualizer.visualize([1], steps=2, verbose=0, warm_start=True)
    states = {o.name: [np.array(v) for v in state] for o, state in visualizer.warm_states.items()}
    for iterations in (0, 2):  # reloaded from the kept states, then resumed in place
        start = StartRecorder()
        visualizer.visualize([0, 1], steps=2, verbose=0, warm_start=True, callbacks=[start])
        assert start.iterations == iterations  # the optimizer goes on only in place
        for row, name in enumerate(["class_0", "class_1"]):
            for value, kept in zip(start.values, states[name]):
                np.testing.assert_array_equal(value[row], kept)
        states = {o.name: [np.array(v) for v in state] for o, state in visualizer.warm_states.items()}
    cold = StartRecorder()
    visualizer.visualize([0, 1], steps=1, verbose=0, callbacks=[cold])
    assert not np.array_equal(cold.values[0][1], states["class_1"][0])


def test_pretrained_warm_start_restarts_its_optimizer(trained_classifier, decoder_path):
    visualizer = keras_featviz.FeatureVisualizer(
        trained_classifier, "pretrained", decoder=decoder_path, seed=0
    )
    visualizer.visualize([0, 1], steps=2, verbose=0, warm_start=True)
    kept = {o.name: np.array(state[0]) for o, state in visualizer.warm_states.items()}
    start = StartRecorder()
    visualizer.visualize([0, 1], steps=2, verbose=0, warm_start=True, callbacks=[start])
    assert start.iterations == 0
    np.testing.assert_array_equal(start.values[0][1], kept["class_1"])
