"""Every classifier head: softmax, binary (one sigmoid unit or one logit), multi-label."""

import keras
import numpy as np
import pytest

import keras_featviz

from conftest import colour_patches, tiny_classifier

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def _binary(activation):
    """Red patches (class 1) against green ones (class 0), one output unit."""
    images, labels = colour_patches(400)
    keep = labels < 2
    images, labels = images[keep], (labels[keep] == 0).astype("float32")
    model = tiny_classifier(classes=1, activation=activation)
    loss = keras.losses.BinaryCrossentropy(from_logits=activation is None)
    model.compile(keras.optimizers.Adam(0.02), loss)
    model.fit(images, labels, epochs=8, batch_size=32, verbose=0)
    return model


@pytest.mark.parametrize("activation", ["sigmoid", None])
@pytest.mark.parametrize("mode", ["scratch", "pretrained"])
def test_both_classes_of_a_binary_classifier_come_first(activation, mode, decoder_path):
    model = _binary(activation)
    kwargs = {"width": 0.25} if mode == "scratch" else {"decoder": decoder_path}
    visualizer = keras_featviz.FeatureVisualizer(model, mode, seed=0, **kwargs)
    assert visualizer.probe.head == "binary" and visualizer.probe.num_classes == 2
    result = visualizer.visualize([0, 1], steps=100, verbose=0)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(result.predicted_classes, [0, 1])
    # What the user's own model says of each image: p(class 1).
    p = model.predict(result.images.astype("float32"), verbose=0)[:, 0]
    if activation is None:
        p = 1 / (1 + np.exp(-p))
    np.testing.assert_allclose(p, result.probabilities[:, 1], atol=1e-3)
    assert p[0] < 0.5 < p[1]


def test_a_multilabel_head_reads_each_label_by_its_sigmoid(patches):
    images, labels = patches
    model = tiny_classifier(activation="sigmoid")
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy")
    model.fit(images, np.eye(3)[labels], epochs=8, batch_size=32, verbose=0)
    visualizer = keras_featviz.FeatureVisualizer(model, "scratch", width=0.25, seed=0)
    assert visualizer.probe.head == "multilabel"
    result = visualizer.visualize([0, 1, 2], steps=100, verbose=0)
    own = model.predict(result.images.astype("float32"), verbose=0)
    np.testing.assert_allclose(result.probabilities, own, atol=1e-3)  # sigmoid, not softmax
    assert np.all(np.diag(result.probabilities) > 0.5)


def test_head_can_be_said(trained_classifier):
    with pytest.raises(ValueError, match="`head` must be one of"):
        keras_featviz.FeatureVisualizer(trained_classifier, head="logistic")
    probe = keras_featviz.FeatureVisualizer(trained_classifier, head="sigmoid").probe
    assert probe.head == "multilabel"
