"""Objectives: what to maximise.

An objective is a weighted sum of activations of the classifier: class
outputs (ReLU of the logits, section 3), the spatial mean of one channel of a
hidden layer, or single units of a hidden layer (section 5.3). Objectives
compose with `+`, `-` and `*`/`/` by a number, and carry a readable `name`
that doubles as their TensorBoard tag.

Maximising a class objective also penalises every other class (Eq. 2):
`loss = -a(target) + penalty * sum_{other classes} a(c_j) + R`.

Example:

>>> from keras_featviz import objectives
>>> objectives.class_(3).name
'class_3'
>>> (objectives.class_(3) + 0.5 * objectives.class_(7)).name
'class_3+0.5*class_7'
>>> objectives.channel("block1_conv2", 5).name
'block1_conv2/channel_5'
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from keras_featviz.validation import plain_scalar

# The suffix of a layer tapped before its activation (see `channel`).
PRE_ACTIVATION = "/pre_activation"

CLASS = "class"
CHANNEL = "channel"
UNIT = "unit"


def _format_weight(weight):
    return f"{weight:g}"


class Objective:
    """A weighted sum of classifier activations to maximise.

    Build objectives with `class_`, `classes`, `channel`, `unit` and `group`
    rather than with this constructor.

    Args:
        terms: Dict mapping `(kind, layer, index)` to a weight; `kind` is
            `"class"` (`layer` is `None`), `"channel"` or `"unit"`.
        name: String, the readable name (and TensorBoard tag).

    Raises:
        ValueError: if `terms` is empty or a weight is not a finite number.
    """

    def __init__(self, terms: Mapping[tuple, Any], name: str) -> None:
        for (kind, layer, index), weight in terms.items():
            if not isinstance(weight, numbers.Real) or isinstance(weight, bool) or not math.isfinite(weight):
                where = f"{kind} {index}" if layer is None else f"{kind} {index} of {layer!r}"
                raise ValueError(
                    f"An objective's weights must be finite numbers. Received: weight={weight!r} for {where}"
                )
        terms = {key: float(w) for key, w in terms.items() if w != 0}
        if not terms:
            raise ValueError(
                f"An objective needs at least one term with a non-zero weight. Received: terms={terms}"
            )
        self.terms = terms
        self.name = name

    @property
    def classes(self) -> list[int]:
        """Class indices this objective maximises (positive weight)."""
        return sorted(i for (k, _, i), w in self.terms.items() if k == CLASS and w > 0)

    @property
    def layers(self) -> list[str]:
        """Names of the hidden layers this objective reads."""
        return sorted({layer for (k, layer, _) in self.terms if k != CLASS and layer is not None})

    @property
    def target_class(self) -> int | None:
        """The class index if this objective is exactly one class, else `None`."""
        if len(self.terms) == 1:
            (kind, _, index), weight = next(iter(self.terms.items()))
            if kind == CLASS and weight > 0:
                return index
        return None

    def _combine(self, other, sign, symbol):
        other = as_objective(other)
        terms = dict(self.terms)
        for key, weight in other.terms.items():
            terms[key] = terms.get(key, 0.0) + sign * weight
        return Objective(terms, f"{self.name}{symbol}{other.name}")

    def __add__(self, other):
        return self._combine(other, 1.0, "+")

    def __sub__(self, other):
        return self._combine(other, -1.0, "-")

    def __mul__(self, factor):
        if not isinstance(factor, numbers.Real) or isinstance(factor, bool):
            return NotImplemented
        terms = {key: w * factor for key, w in self.terms.items()}
        name = self.name if "+" not in self.name and "-" not in self.name else f"({self.name})"
        return Objective(terms, f"{_format_weight(factor)}*{name}")

    __rmul__ = __mul__

    def __truediv__(self, divisor):
        if not isinstance(divisor, numbers.Real) or isinstance(divisor, bool):
            return NotImplemented
        return self * (1.0 / divisor)

    def __neg__(self):
        return self * -1.0

    def __eq__(self, other):
        return isinstance(other, Objective) and self.terms == other.terms

    def __hash__(self):
        return hash(frozenset(self.terms.items()))

    def __repr__(self):
        return f"<Objective {self.name}>"


def _weights_label(weights):
    """`{3: 1, 7: 0.5}` -> `"3+0.5*7"`."""
    return "+".join(str(i) if w == 1 else f"{_format_weight(w)}*{i}" for i, w in weights.items())


def _check_index(index, what):
    if isinstance(index, bool) or not isinstance(index, numbers.Integral) or index < 0:
        raise ValueError(f"A {what} index must be an integer >= 0. Received: {what}={index!r}")
    return int(index)


def _check_layer(layer, pre_activation=False):
    if not isinstance(layer, str) or not layer:
        raise ValueError(f"`layer` must be the name of a layer. Received: layer={layer!r}")
    if not isinstance(pre_activation, bool):
        raise ValueError(
            f"`pre_activation` must be True or False. Received: pre_activation={pre_activation!r}"
        )
    return layer + PRE_ACTIVATION if pre_activation else layer


def class_(index: int) -> Objective:
    """Maximise one class output (its ReLU'd logit), penalising the others.

    Args:
        index: Int, the class index.

    Returns:
        An `Objective` named `class_{index}`.
    """
    index = _check_index(index, "class")
    return Objective({(CLASS, None, index): 1.0}, f"class_{index}")


def classes(weights: Sequence[int] | Mapping[int, float]) -> Objective:
    """Maximise several classes at once: a compound image (section 5.4).

    Args:
        weights: A sequence of class indices (weight 1 each) or a dict
            mapping class index to weight.

    Returns:
        An `Objective` named like `classes_3+7`.
    """
    if not isinstance(weights, dict):
        weights = {index: 1.0 for index in weights}
    if not weights:
        raise ValueError(f"`weights` must name at least one class. Received: weights={weights}")
    terms = {(CLASS, None, _check_index(i, "class")): w for i, w in weights.items()}
    return Objective(terms, "classes_" + _weights_label(weights))


def channel(layer: str, index: int, pre_activation: bool = False) -> Objective:
    """Maximise the spatial mean of one channel (filter) of a hidden layer.

    Args:
        layer: String, the layer name (layers of nested models are found
            too).
        index: Int, the channel index.
        pre_activation: Bool, read the layer's value before its activation
            (a `Conv2D(activation="relu")`'s convolution output): a
            channel that the ReLU holds at 0 has no gradient, its
            pre-activation does. The name reads
            `{layer}/pre_activation/...`. Defaults to `False`.

    Returns:
        An `Objective` named `{layer}/channel_{index}`.
    """
    layer = _check_layer(layer, pre_activation)
    index = _check_index(index, "channel")
    return Objective({(CHANNEL, layer, index): 1.0}, f"{layer}/channel_{index}")


def unit(layer: str, index: int | tuple[int, ...], pre_activation: bool = False) -> Objective:
    """Maximise one unit of a hidden layer's output.

    Args:
        layer: String, the layer name.
        index: Int (flat index into the layer's output, batch excluded) or a
            tuple with one index per output axis, e.g. `(row, column,
            channel)`.
        pre_activation: Bool, read the layer's value before its activation
            (a `Conv2D(activation="relu")`'s convolution output): a
            channel that the ReLU holds at 0 has no gradient, its
            pre-activation does. The name reads
            `{layer}/pre_activation/...`. Defaults to `False`.

    Returns:
        An `Objective` named `{layer}/unit_{index}`.
    """
    layer = _check_layer(layer, pre_activation)
    if isinstance(index, tuple):
        index = tuple(_check_index(i, "unit") for i in index)
        label = "_".join(str(i) for i in index)
    else:
        index = _check_index(index, "unit")
        label = str(index)
    return Objective({(UNIT, layer, index): 1.0}, f"{layer}/unit_{label}")


def group(
    layer: str, weights: Sequence[int] | Mapping[int, float], pre_activation: bool = False
) -> Objective:
    """Maximise a weighted group of channels of a hidden layer (section 5.3).

    Args:
        layer: String, the layer name.
        weights: A sequence of channel indices (weight 1 each) or a dict
            mapping channel index to weight.
        pre_activation: Bool, read the layer's value before its activation
            (a `Conv2D(activation="relu")`'s convolution output): a
            channel that the ReLU holds at 0 has no gradient, its
            pre-activation does. The name reads
            `{layer}/pre_activation/...`. Defaults to `False`.

    Returns:
        An `Objective` named like `{layer}/group_1+4+9`.
    """
    layer = _check_layer(layer, pre_activation)
    if not isinstance(weights, dict):
        weights = {index: 1.0 for index in weights}
    if not weights:
        raise ValueError(f"`weights` must name at least one channel. Received: weights={weights}")
    terms = {(CHANNEL, layer, _check_index(i, "channel")): w for i, w in weights.items()}
    return Objective(terms, f"{layer}/group_" + _weights_label(weights))


def as_objective(target: int | Objective) -> Objective:
    """Turn a target into an `Objective`: an int means that class.

    A NumPy integer or 0-d integer array is an int. (Class names are
    looked up by `FeatureVisualizer`, which knows them.)

    Raises:
        TypeError: if `target` is neither an int nor an `Objective`.
    """
    if isinstance(target, Objective):
        return target
    target = plain_scalar(target)
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        return class_(target)
    raise TypeError(
        "A target must be a class index (int), a class name (str) or a keras_featviz objective. "
        f"Received: target={target!r}"
    )


def class_index(name: str, class_names: Sequence[str] | None) -> int:
    """The index of the class called `name` in `class_names`.

    Raises:
        ValueError: without `class_names`, or for a name not in them (close
            names are listed).
    """
    if class_names is None:
        raise ValueError(
            "A class name is a target only when `class_names` are given "
            f"(pass them, or give the class index). Received: target={name!r}"
        )
    names = [str(c) for c in class_names]
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3)
        hint = f" Close names: {close}." if close else ""
        raise ValueError(f"No class is named {name!r} in `class_names`.{hint} Received: target={name!r}")
    return names.index(name)


def from_target(target: int | str | Objective, class_names: Sequence[str] | None = None) -> Objective:
    """An `Objective` from a class index, a class name (in `class_names`) or an objective.

    Raises:
        TypeError: for anything else.
        ValueError: for an unknown class name.
    """
    if isinstance(target, str):
        target = class_index(target, class_names)
    return as_objective(target)


def label(objective: Objective, class_names: Sequence[str] | None = None) -> str:
    """What to call a target: its class name if known, else its name."""
    objective = as_objective(objective)
    target = objective.target_class
    if target is not None and class_names is not None:
        return str(class_names[target])
    return objective.name
