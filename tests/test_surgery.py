"""Classifier surgery: logits from every head form, nested models, VGG16."""

import re

import keras
import numpy as np
import pytest

from keras_featviz.surgery import ClassifierProbe

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends

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
    logits = probe.model.predict(x, verbose=0)["logits"]
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(squash(logits)), expected, atol=1e-5)
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
    keras.utils.set_random_seed(0)  # not a draw where every ReLU is off and the logits are 0
    model = small("dense")
    probe = ClassifierProbe(model)
    x = np.random.default_rng(0).uniform(0, 1, (1, 16, 16, 3)).astype("float32")
    model.layers[-1].kernel.assign(model.layers[-1].kernel * 2.0)
    before = probe.model.predict(x, verbose=0)["logits"]
    probe.sync_weights()
    after = probe.model.predict(x, verbose=0)["logits"]
    assert not np.allclose(before, after)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.ops.softmax(after)), expected, atol=1e-5)


def _relu_net():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="probs")(x))


def test_pre_activation_reads_the_convolution_before_its_relu():
    model = _relu_net()
    probe = ClassifierProbe(model, ["conv", "conv/pre_activation"])
    x = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 3)).astype("float32")
    out = probe.model(x)
    kernel, bias = model.get_layer("conv").get_weights()
    linear = keras.ops.convert_to_numpy(keras.ops.conv(x, kernel)) + bias
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out["conv/pre_activation"]), linear, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out["conv"]), np.maximum(linear, 0), atol=1e-5)


def test_a_dead_channel_rises_when_read_before_its_relu():
    import keras_featviz
    from keras_featviz import objectives

    model = _relu_net()
    conv = model.get_layer("conv")
    kernel, bias = conv.get_weights()
    conv.set_weights([kernel, bias - 100.0])  # every channel dead: ReLU output 0 everywhere
    target = objectives.channel("conv", 1, pre_activation=True)
    assert target.name == "conv/pre_activation/channel_1"
    first = keras_featviz.FeatureVisualizer(model, "pixels", seed=0).visualize(target, steps=1, verbose=0)
    later = keras_featviz.FeatureVisualizer(model, "pixels", seed=0).visualize(target, steps=30, verbose=0)
    assert later.activations[0] > first.activations[0]


def test_the_output_layer_is_a_target_like_its_class():
    import keras_featviz
    from keras_featviz import objectives

    model = _relu_net()
    visualizer = keras_featviz.FeatureVisualizer(model, "pixels", seed=0)
    result = visualizer.visualize(
        [objectives.unit("probs", 2), objectives.channel("probs", 1)], steps=2, verbose=0
    )
    assert result.images.shape == (2, 8, 8, 3)


def test_input_shape_gives_an_open_sized_model_its_size():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(2, 3)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    with pytest.raises(ValueError, match=re.escape("Pass `input_shape=(height, width, channels)`.")):
        ClassifierProbe(model)
    assert ClassifierProbe(model, input_shape=(20, 24, 3)).input_shape == (20, 24, 3)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "agree with the classifier's input (None, None, 3). Received: input_shape=(20, 24, 1)"
        ),
    ):
        ClassifierProbe(model, input_shape=(20, 24, 1))


def _batch_norm_net(side=16):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((side, side, 3))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU()(x))
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


def test_statistics_are_each_images_gap_to_the_moving_statistics():
    model = _batch_norm_net()
    bn = model.get_layer("bn")
    rng = np.random.default_rng(0)
    bn.moving_mean.assign(rng.normal(size=4).astype("float32"))
    bn.moving_variance.assign(rng.uniform(0.5, 2, size=4).astype("float32"))
    probe = ClassifierProbe(model, ["conv"], statistics=True)
    x = rng.uniform(0, 1, (2, 16, 16, 3)).astype("float32")
    out = probe.model(x)
    conv = keras.ops.convert_to_numpy(out["conv"])
    mean, variance = conv.mean(axis=(1, 2)), conv.var(axis=(1, 2))
    moving_mean, moving_variance = bn.moving_mean.numpy(), bn.moving_variance.numpy()
    expected = np.linalg.norm(mean - moving_mean, axis=1) + np.linalg.norm(variance - moving_variance, axis=1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out["statistics"]), expected, rtol=1e-4)
    # The gap follows the classifier's statistics as it trains.
    bn.moving_mean.assign(mean[0])
    bn.moving_variance.assign(variance[0])
    probe.sync_weights()
    assert float(keras.ops.convert_to_numpy(probe.model(x)["statistics"])[0]) < 1e-3


def test_statistics_need_batch_normalization_of_feature_maps():
    message = re.escape(
        "The statistics prior needs BatchNormalization layers of feature maps (channels last) in "
        "the classifier, and it has none: set its weight to 0. Received: classifier="
    )
    with pytest.raises(ValueError, match=message):
        ClassifierProbe(_relu_net(), statistics=True)


def test_statistics_tap_a_batch_normalization_applied_twice():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    shared = keras.layers.BatchNormalization(name="shared_bn")
    x = shared(keras.layers.Conv2D(3, 3, padding="same")(shared(inputs)))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(x)))
    probe = ClassifierProbe(model, statistics=True)
    x = np.random.default_rng(0).uniform(0, 1, (2, 8, 8, 3)).astype("float32")
    assert keras.ops.convert_to_numpy(probe.model(x)["statistics"]).shape == (2,)
