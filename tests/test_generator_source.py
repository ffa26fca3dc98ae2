"""GeneratorSource: the generator choice, its checks and the networks it builds."""

import pytest

from keras_featviz.makers import generators

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_feature_noise_is_none_in_scratch_mode_unless_given():
    import keras_featviz

    from conftest import tiny_classifier

    model = tiny_classifier()
    for noise, expected in ((None, 0.0), (2.0, 2.0), (0.5, 0.5)):  # 2.0: Table 1's sigma
        visualizer = keras_featviz.FeatureVisualizer(model, "scratch", width=0.125, noise=noise)
        layer = visualizer.source.build(1).get_layer("feature_vector")
        assert layer.stddev == expected
    assert (
        generators.latent_generator(generators.decoder_network((8, 8, 3), width=0.125), noise_stddev=0.0)
        .get_layer("feature_vector")
        .stddev
        == 0.0
    )
