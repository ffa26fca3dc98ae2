"""Eq. 2's readout (`keras_featviz.optimization.coupled`): what each objective
reads, and the penalty mask on the other classes."""

import numpy as np
import pytest
from keras import ops

from keras_featviz import objectives
from keras_featviz.makers.generators import to_pixels
from keras_featviz.optimization.coupled import ReadoutPlan
from keras_featviz.surgery import ClassifierProbe

from conftest import tiny_classifier

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_each_objective_weighs_its_own_columns_and_penalises_the_other_classes():
    probe = ClassifierProbe(tiny_classifier(), ["conv"])
    plan = ReadoutPlan(
        [objectives.class_(2), objectives.channel("conv", 5) - 0.5 * objectives.class_(1)], probe
    )
    assert plan.width == 3 + 8  # three class logits, then conv's 8 channel means
    np.testing.assert_array_equal(plan.weights[0], np.eye(11)[2])
    np.testing.assert_array_equal(
        plan.weights[1], 0.0 * np.eye(11)[0] - 0.5 * np.eye(11)[1] + np.eye(11)[3 + 5]
    )
    np.testing.assert_array_equal(plan.others[0], [1.0, 1.0, 0.0])  # every class but the target
    np.testing.assert_array_equal(plan.others[1], [0.0, 0.0, 0.0])  # no class maximised: no penalty


def test_the_readout_is_the_logits_then_the_channel_means():
    probe = ClassifierProbe(tiny_classifier(), ["conv"])
    plan = ReadoutPlan([objectives.channel("conv", 0)], probe)
    images = np.random.default_rng(0).uniform(0, 255, (2, 16, 16, 3)).astype("float32")
    outputs = probe.model(images)
    readout = ops.convert_to_numpy(plan.readouts(outputs))
    np.testing.assert_allclose(readout[:, :3], ops.convert_to_numpy(outputs["logits"]), rtol=1e-6)
    conv = ops.convert_to_numpy(outputs["conv"])
    np.testing.assert_allclose(readout[:, 3:], conv.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)


def test_an_out_of_range_class_is_named():
    probe = ClassifierProbe(tiny_classifier())
    with pytest.raises(ValueError, match=r"the classifier has 3 classes \(0 to 2\). Received: class=3"):
        ReadoutPlan([objectives.class_(3)], probe)


def test_generator_output_becomes_pixels_strictly_inside_0_255():
    pixels = ops.convert_to_numpy(to_pixels(ops.convert_to_tensor([-100.0, -1.0, 0.0, 1.0, 100.0])))
    assert pixels[2] == pytest.approx(127.5)
    assert np.all(np.diff(pixels) >= 0) and pixels.min() >= 0.0 and pixels.max() <= 255.0
