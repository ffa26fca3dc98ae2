"""TensorBoard logging: images, grids and scalars; non-finite values."""

import numpy as np
import pytest

from keras_featviz.results import Visualization
from keras_featviz.tensorboard import EventWriter, log_visualization

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
