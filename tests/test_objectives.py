"""Objectives compose and name themselves (the names are TensorBoard tags)."""

import re

import pytest

from keras_featviz import objectives


def test_names_and_composition():
    assert objectives.class_(3).name == "class_3"
    assert objectives.classes([3, 7]).name == "classes_3+7"
    combined = objectives.class_(3) + 0.5 * objectives.channel("conv", 2) - objectives.class_(1)
    assert combined.name == "class_3+0.5*conv/channel_2-class_1"
    assert combined.terms == {("class", None, 3): 1.0, ("channel", "conv", 2): 0.5, ("class", None, 1): -1.0}
    assert combined.classes == [3]
    assert (objectives.class_(2) / 2).terms == {("class", None, 2): 0.5}
    assert objectives.as_objective(4) == objectives.class_(4)
    assert objectives.class_(4).target_class == 4 and combined.target_class is None


def test_cancelling_terms_leave_nothing():
    with pytest.raises(ValueError, match="at least one term"):
        objectives.class_(1) - objectives.class_(1)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: objectives.group("conv", {1: float("nan")}), "weight=nan for channel 1 of 'conv'"),
        (lambda: float("inf") * objectives.class_(1), "weight=inf for class 1"),
        (lambda: objectives.classes({2: True}), "weight=True for class 2"),
    ],
)
def test_weights_must_be_finite_numbers(make, message):
    with pytest.raises(
        ValueError, match=re.escape(f"An objective's weights must be finite numbers. Received: {message}")
    ):
        make()
