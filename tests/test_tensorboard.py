"""TensorBoard logging: images, grids and scalars; non-finite values."""

import logging

import numpy as np
import pytest

from keras_featviz.io.results import Visualization
from keras_featviz.io.tensorboard import EventWriter, log_visualization

from conftest import read_run, tensor_value


def test_non_finite_scalars_are_named_in_a_warning_not_written(tmp_path):
    result = Visualization(
        images=np.zeros((2, 8, 8, 3), "uint8"),
        activations=np.array([np.nan, 2.0]),
        probabilities=np.array([[np.nan, np.nan], [0.1, 0.9]]),
        names=["class_0", "class_1"],
        labels=["cat", "dog"],
        target_classes=[0, 1],
    )
    writer = EventWriter(str(tmp_path))
    with pytest.warns(RuntimeWarning) as caught:
        log_visualization(writer, result, step=3)
    writer.close()
    assert [str(w.message) for w in caught] == [
        "keras-featviz: 2 scalars at step 3 are not finite and are not written (activation/cat=nan, "
        "probability/cat=nan): the classifier's output on these images overflowed or is NaN."
    ]
    run = read_run(tmp_path)
    tags = set(run.Tags()["tensors"])
    assert {"cat", "dog", "grid", "activation/dog", "probability/dog", "success_rate"} == tags
    assert float(tensor_value(run.Tensors("probability/dog")[0])) == pytest.approx(0.9)
    # An image whose probabilities are NaN was not "called" its class.
    assert result.success_rate == 0.5
    assert float(tensor_value(run.Tensors("success_rate")[0])) == 0.5


def test_a_missing_tensorflow_is_named_when_the_first_file_is_written(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "tensorflow", None)  # as if not installed
    writer = EventWriter(str(tmp_path))
    with pytest.raises(ImportError, match="Writing TensorBoard files needs TensorFlow's summary writer"):
        writer.scalar("loss", 1.0, step=0)
    assert list(tmp_path.iterdir()) == []


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_the_callbacks_models_do_not_warn_of_retracing(patches, tmp_path):
    """Three callbacks in one fit build a dozen models; TensorFlow counts their
    first traces together and warned twice in three epochs. The user's own
    retracing, outside the callbacks, still warns."""

    from keras_featviz.callbacks import (
        AttributionCallback,
        FeatureVisualizationCallback,
        MemorizationCallback,
    )
    from keras_featviz.io.tensorboard import quiet_retracing

    from conftest import colour_patches, tiny_classifier

    records, logger = _Records(), logging.getLogger("tensorflow")
    logger.addHandler(records)
    try:
        model = tiny_classifier()
        model.compile("adam", "sparse_categorical_crossentropy")
        callbacks = [
            FeatureVisualizationCallback(log_dir=tmp_path, steps=2, max_overhead=None),
            AttributionCallback(patches[0][:2], log_dir=tmp_path, max_overhead=None),
            MemorizationCallback(patches, colour_patches(60, seed=7), seeds=2, steps=2, log_dir=tmp_path),
        ]
        model.fit(*patches, epochs=3, verbose=0, callbacks=callbacks)
        assert not [m for m in records.messages if "retracing" in m]
        with quiet_retracing():
            logger.warning("5 out of the last 8 calls to f triggered tf.function retracing.")
        logger.warning("5 out of the last 8 calls to g triggered tf.function retracing.")
        assert records.messages == ["5 out of the last 8 calls to g triggered tf.function retracing."]
    finally:
        logger.removeHandler(records)
