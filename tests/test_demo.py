"""Issue 2's bar: on the 18-class shapes demo classifier both generators put
at least 90% of the classes first. Slow (about 2 minutes on 2 cores): run by
`.ci/run` with `-m slow`, not by the default test command.
"""

import pytest

import keras_featviz
from keras_featviz.demo import train_shapes_autoencoder, train_shapes_classifier

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_models():
    model, (x, _) = train_shapes_classifier(verbose=0)
    return model, train_shapes_autoencoder(x, 32, verbose=0)


@pytest.mark.parametrize("mode", ["scratch", "pretrained"])
def test_ninety_percent_of_the_classes_come_out_first(demo_models, mode):
    model, dae = demo_models
    kwargs = {"width": 0.5} if mode == "scratch" else {"decoder": dae}
    visualizer = keras_featviz.FeatureVisualizer(model, mode, seed=0, **kwargs)
    result = visualizer.visualize(range(18), steps=150, verbose=0)
    assert result.success_rate >= 0.9, (mode, result.predicted_classes)
