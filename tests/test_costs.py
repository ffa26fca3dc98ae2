"""Costs: FLOPs counted, and generators sized to the classifier on large images."""

import keras

import keras_featviz
from keras_featviz.makers import costs, generators


def _large_classifier():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((160, 160, 3)),
            keras.layers.Conv2D(16, 3, strides=4, activation="relu", name="conv"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(5, activation="softmax"),
        ]
    )


def test_forward_flops_of_a_convolution_and_a_dense_layer():
    model = _large_classifier()
    conv = 2 * 40 * 40 * (3 * 3 * 3 * 16)
    dense = 2 * 16 * 5
    assert costs.forward_flops(model) == conv + dense


def test_the_generator_is_sized_to_a_small_classifier_on_large_images():
    model = _large_classifier()
    width = costs.sized_width((160, 160, 3), model)
    assert width == costs.WIDTHS[-1]  # this classifier is cheap: the narrowest generator
    vgg = keras.applications.VGG16(weights=None)
    assert costs.sized_width((224, 224, 3), vgg) == 1.0  # VGG16 affords the paper's


def test_auto_defaults_switch_on_large_images():
    large = keras_featviz.FeatureVisualizer(_large_classifier())
    assert (large.source.mode, large.transforms) == ("fourier", "strong")
    scratch = keras_featviz.FeatureVisualizer(_large_classifier(), "scratch")
    assert scratch.transforms == "standard"
    assert scratch.source.colors == "decorrelated"
    assert scratch.source.width == costs.WIDTHS[-1]
    assert scratch.source.pyramid is True
    small_classifier = keras.Sequential(
        [keras.Input((16, 16, 3)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    small = keras_featviz.FeatureVisualizer(small_classifier)
    assert (small.source.mode, small.transforms) == ("fourier", "standard")
    small = keras_featviz.FeatureVisualizer(small_classifier, "scratch")
    assert (small.transforms, small.source.colors, small.source.width) == ("none", "rgb", 1.0)
    assert small.source.pyramid is False


def test_decorrelated_colours_add_no_weights():
    rgb = generators.scratch_generator((224, 224, 3))
    decorrelated = generators.scratch_generator((224, 224, 3), colors="decorrelated")
    assert decorrelated.count_params() == rgb.count_params() == 5240841


def test_only_the_scratch_generator_is_sized():
    fourier = keras_featviz.FeatureVisualizer(_large_classifier(), "fourier")
    assert fourier.source.width == 1.0 and fourier.transforms == "strong"
