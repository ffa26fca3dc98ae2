"""Classifier surgery: logits from every head form, nested models, VGG16."""

import keras
import numpy as np
import pytest

from keras_featviz.surgery import ClassifierProbe

L = keras.layers


def small(head):
    layers = [
        keras.Input((16, 16, 3)),
        L.Conv2D(4, 3, activation="relu", name="c1"),
        L.GlobalAveragePooling2D(),
    ]
    if head == "dense":
        layers.append(L.Dense(5, activation="softmax"))
    elif head == "activation":
        layers += [L.Dense(5), L.Activation("softmax")]
    elif head == "softmax":
        layers += [L.Dense(5), L.Softmax()]
    elif head == "sigmoid":
        layers.append(L.Dense(5, activation="sigmoid"))
    else:
        layers.append(L.Dense(5))
    return keras.Sequential(layers)


@pytest.mark.parametrize(
    "head, squash",
    [
        ("dense", keras.ops.softmax),
        ("activation", keras.ops.softmax),
        ("softmax", keras.ops.softmax),
        ("sigmoid", keras.ops.sigmoid),
        ("logits", lambda z: z),
    ],
)
def test_every_head_form_gives_logits(head, squash):
    model = small(head)
    x = np.random.default_rng(0).random((2, 16, 16, 3)).astype("float32")
    probe = ClassifierProbe(model, ["c1"])
    logits = probe.model(x)["logits"]
    np.testing.assert_allclose(squash(logits), model(x), atol=1e-5)
    assert probe.output_shapes == {"c1": (14, 14, 4)}


def test_vgg16_copy_shares_no_layer_and_reads_nested_names():
    vgg = keras.applications.VGG16(weights=None)
    probe = ClassifierProbe(vgg, ["block5_conv3"])
    assert probe.num_classes == 1000 and probe.squashing == "softmax"
    assert probe.output_shapes["block5_conv3"] == (14, 14, 512)
    assert not {id(a) for a in vgg.layers} & {id(b) for b in probe.model.layers}
    assert vgg.trainable and all(layer.trainable for layer in vgg.layers)
    with pytest.raises(ValueError, match=r"Close names: \['block5_conv3', 'block5_conv2'"):
        ClassifierProbe(vgg, ["block5_conv"])


def test_probe_follows_training_after_sync():
    model = small("dense")
    probe = ClassifierProbe(model)
    x = np.ones((1, 16, 16, 3), "float32")
    model.layers[-1].kernel.assign(model.layers[-1].kernel * 2.0)
    before = np.array(probe.model(x)["logits"])
    probe.sync_weights()
    after = np.array(probe.model(x)["logits"])
    assert not np.allclose(before, after)
    np.testing.assert_allclose(keras.ops.softmax(after), model(x), atol=1e-5)
