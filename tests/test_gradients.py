"""`GradientReader`: backend-agnostic input gradients, checked against finite differences."""

import keras
import numpy as np
import pytest

from keras_featviz import objectives
from keras_featviz.views.gradients import GradientReader

pytestmark = pytest.mark.backends


def test_gradient_matches_finite_differences(trained_classifier, patches):
    images = patches[0][:3].astype("float32")
    reader = GradientReader(trained_classifier, [objectives.class_(c) for c in range(3)], batch_size=2)
    gradients, scores, _ = reader(images, [0, 1, 2])
    logits_model = keras.Model(trained_classifier.inputs, trained_classifier.layers[-1].input)
    kernel, bias = trained_classifier.layers[-1].get_weights()

    def logit(x, c):
        return (logits_model.predict(x, verbose=0) @ kernel + bias)[:, c]

    np.testing.assert_allclose(scores, [logit(images[i : i + 1], i)[0] for i in range(3)], rtol=1e-4)
    for i, (row, col, channel) in enumerate([(3, 4, 0), (8, 8, 1), (12, 2, 2)]):
        step = np.zeros_like(images[:1])
        step[0, row, col, channel] = 1.0
        numeric = (logit(images[i : i + 1] + step, i) - logit(images[i : i + 1] - step, i))[0] / 2
        assert gradients[i, row, col, channel] == pytest.approx(numeric, rel=0.05, abs=1e-6)
