"""Classifier surgery: a frozen copy of the user's classifier that reads logits.

`ClassifierProbe` re-traces a Sequential or functional classifier layer by
layer with fresh copies of its layers (weights copied, never shared), inlining
models nested inside it (a `keras.applications` base inside a
transfer-learning model, say). The copy outputs the class logits, the softmax
(or sigmoid) head removed whether it is a layer's `activation` or a separate
`Activation`/`Softmax` layer, and the outputs of the hidden layers named by
the objectives. On request it also outputs each image's `"statistics"`:
how far the channel means and variances at the input of every
BatchNormalization layer stray from the moving ones the layer kept in
training (the prior of DeepInversion, Yin et al. 2020). The user's model,
its weights and its trainable flags are never changed.
"""

import difflib

import keras
import numpy as np

from keras_featviz.config import HEADS
from keras_featviz.objectives import PRE_ACTIVATION

_SQUASHING = ("softmax", "sigmoid", "log_softmax")


def is_graph_model(layer):
    """Whether `layer` is a Sequential or functional model (a graph of layers)."""
    return isinstance(layer, keras.Sequential) or (
        isinstance(layer, keras.Model) and hasattr(layer, "_run_through_graph")
    )


def _activation_name(layer):
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    try:
        return keras.activations.serialize(activation)
    except Exception:
        return getattr(activation, "__name__", None)


def _squashing_kind(layer):
    """How the layer squashes its output: `"layer"`, `"activation"` or `None`."""
    if isinstance(layer, keras.layers.Softmax):
        return "layer"
    name = _activation_name(layer)
    if name not in _SQUASHING:
        return None
    return "layer" if isinstance(layer, keras.layers.Activation) else "activation"


def leaf_layers(model):
    """The layers of `model` that are not models, nested models opened, in order."""
    for layer in model.layers:
        if is_graph_model(layer):
            yield from leaf_layers(layer)
        else:
            yield layer


def all_layer_names(model):
    """Names of all layers of `model`, nested models included, in order."""
    names = []
    for layer in model.layers:
        names.append(layer.name)
        if is_graph_model(layer):
            names.extend(all_layer_names(layer))
    return names


def target_layers(model):
    """The layers of `model` (nested models included) with an image-like or vector output.

    Returns:
        A list of dicts: `name`, `shape` (batch excluded), `channels` (the
        last axis) and `activation` (a fused activation's name, or `None`).
    """
    rows = []
    for layer in model.layers:
        if is_graph_model(layer):
            rows.extend(target_layers(layer))
            continue
        outputs = keras.tree.flatten(layer.output) if hasattr(layer, "output") else []
        if len(outputs) != 1 or isinstance(layer, keras.layers.InputLayer):
            continue
        shape = tuple(outputs[0].shape[1:])
        activation = _activation_name(layer)
        rows.append(
            {
                "name": layer.name,
                "shape": shape,
                "channels": shape[-1] if shape else 1,
                "activation": None if activation in (None, "linear") else activation,
            }
        )
    return rows


def class_count(model):
    """The classes of a classifier, as `ClassifierProbe` counts them, without copying it.

    One output unit is a binary classifier: 2 classes.
    """
    outputs = getattr(model, "outputs", None) or []
    units = outputs[0].shape[-1] if len(outputs) == 1 else None
    return 2 if units == 1 else units


def unknown_layer_error(name, model):
    """A `ValueError` for a layer name not in `model`, listing close names."""
    names = all_layer_names(model)
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
    hint = f" Close names: {close}." if close else f" Layers: {names[:30]}."
    return ValueError(
        f"No layer named {name!r} in the classifier {model.name!r}.{hint} Received: layer={name!r}"
    )


def image_input_shape(model, input_shape=None):
    """The `(height, width, channels)` input of an image classifier.

    Args:
        model: The classifier.
        input_shape: Optional `(height, width, channels)` for a model whose
            input leaves the size open (`keras.Input((None, None, 3))`);
            it must agree with every size the model fixes. Defaults to
            `None`.

    Raises:
        ValueError: if the model is not built, has several inputs, or its
            input is not an image of known size (and `input_shape` does not
            give it).
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"The classifier must be a keras.Model. Received: classifier={model!r}")
    if not is_graph_model(model):
        raise ValueError(
            f"The classifier is a subclassed keras.Model ({type(model).__name__}), whose layers "
            "form no graph keras-featviz can copy (it works on a copy, so that nothing of yours "
            "changes). Build it with the functional API (`keras.Model(inputs, outputs)`) or "
            "`keras.Sequential`, or wrap it: `inputs = keras.Input((height, width, channels)); "
            "keras.Model(inputs, model(inputs))`, with a `get_config` on "
            f"{type(model).__name__} that returns its constructor arguments, and "
            '`head="probabilities"` if its `call` ends in a softmax. '
            f"Received: classifier={model.name!r} of class {type(model).__name__}"
        )
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            "The classifier must be built with a known input shape (give its "
            "first layer an `keras.Input`). Received: classifier="
            f"{model.name!r} with no defined input"
        )
    if len(inputs) != 1:
        raise ValueError(
            "The classifier must have a single image input. Received: "
            f"{len(inputs)} inputs {[tuple(i.shape) for i in inputs]}"
        )
    shape = tuple(inputs[0].shape[1:])
    if input_shape is not None:
        given = tuple(input_shape)
        fits = len(given) == len(shape) == 3 and all(
            isinstance(d, int) and d > 0 and (m is None or m == d) for d, m in zip(given, shape)
        )
        if not fits:
            raise ValueError(
                "`input_shape` must be (height, width, channels), positive integers that agree "
                f"with the classifier's input {shape}. Received: input_shape={input_shape!r}"
            )
        return given
    if len(shape) != 3 or any(d is None for d in shape):
        hint = " Pass `input_shape=(height, width, channels)`." if len(shape) == 3 else ""
        raise ValueError(
            "The classifier's input must be an image of known size, "
            f"(height, width, channels).{hint} Received: input_shape="
            f"{tuple(inputs[0].shape)}"
        )
    return shape


def _read_head(head, squashing, logits):
    """The head's kind and the logits the objectives read (see `ClassifierProbe`)."""
    if head not in HEADS:
        raise ValueError(f"`head` must be one of {list(HEADS)}. Received: head={head!r}")
    units = logits.shape[-1] if len(logits.shape) == 2 else None
    if head == "probabilities":
        logits = keras.ops.log(keras.ops.maximum(keras.ops.cast(logits, "float32"), 1e-7))
    independent = head == "sigmoid" or (head == "auto" and squashing == "sigmoid")
    if units == 1 and (independent or head == "auto"):
        # One unit z: two classes whose softmax is [1 - sigmoid(z), sigmoid(z)].
        return "binary", keras.ops.concatenate([-0.5 * logits, 0.5 * logits], axis=-1)
    return ("multilabel" if independent else "softmax"), logits


def _fresh_copy(layer, config_changes=None):
    """A new layer object configured as `layer` (weights set later)."""
    config_changes = config_changes or {}
    if isinstance(layer, keras.layers.Lambda):
        # Its function is already in memory, not read from a file: reuse it
        # rather than deserialise bytecode (refused in safe mode).
        return keras.layers.Lambda(
            layer.function,
            arguments=layer.arguments,
            name=layer.name,
            dtype=config_changes.get("dtype", layer.dtype_policy),
        )
    try:
        config = layer.get_config()
        config.update(config_changes or {})
        return layer.__class__.from_config(config)
    except (TypeError, ValueError, NotImplementedError) as error:
        raise ValueError(
            f"The classifier's layer {layer.name!r} ({type(layer).__name__}) cannot be copied "
            "from its config, and keras-featviz works on a copy so that nothing of yours "
            f"changes. Give {type(layer).__name__} a `get_config` that returns its constructor "
            "arguments (and a `from_config` if they are not plain values), or build the model "
            f"from Keras layers. Received: layer={layer.name!r} ({type(error).__name__}: "
            f"{str(error).splitlines()[0]})"
        ) from error


class StatisticsGap(keras.layers.Layer):
    """How far each image's channel statistics stray from a BatchNormalization's moving ones.

    Per image: `|mean - moving_mean| + |variance - moving_variance|`, the
    Euclidean norms over channels of the differences between the channel
    means and variances over the image's positions and the layer's moving
    statistics. Per image rather than over the batch (as DeepInversion
    does), so that targets trained side by side stay independent.

    Args:
        channels: Int, the channels of the BatchNormalization's input.
        **kwargs: `keras.layers.Layer` arguments (`name`).
    """

    def __init__(self, channels, **kwargs):
        super().__init__(dtype="float32", **kwargs)
        self.channels = channels
        self.moving_mean = self.add_weight(
            shape=(channels,), initializer="zeros", trainable=False, name="moving_mean"
        )
        self.moving_variance = self.add_weight(
            shape=(channels,), initializer="ones", trainable=False, name="moving_variance"
        )

    def call(self, x):
        x = keras.ops.cast(x, "float32")
        positions = tuple(range(1, len(x.shape) - 1))
        mean = keras.ops.mean(x, axis=positions)
        # E[x^2] - E[x]^2 rather than `ops.var`: its backward pass costs one
        # pass over the feature map instead of two (the MobileNetV2 dog-breed
        # classifier at 160x160 on TensorFlow's CPU, `visualize` of 8 targets
        # for 30 steps after 5 of warm-up, one-off timings: 24.5 against 29.4
        # ms an image and step, 14.8 without the prior).
        variance = keras.ops.mean(keras.ops.square(x), axis=positions) - keras.ops.square(mean)
        return _norm(mean - self.moving_mean) + _norm(variance - self.moving_variance)

    def copy_from(self, batch_norm):
        """Take `batch_norm`'s moving statistics (a `keras.layers.BatchNormalization`).

        Copied through NumPy: on JAX a cast of the same dtype would share the
        user's buffer, which a jitted step then donates and deletes.
        """
        for mine, theirs in (
            (self.moving_mean, batch_norm.moving_mean),
            (self.moving_variance, batch_norm.moving_variance),
        ):
            mine.assign(np.array(keras.ops.convert_to_numpy(theirs), "float32"))

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


def _norm(x):
    # The small constant keeps the gradient finite where the gap is zero.
    return keras.ops.sqrt(keras.ops.sum(keras.ops.square(x), axis=-1) + 1e-8)


def has_feature_batch_norm(model):
    """Whether `model` (nested models included) normalises feature maps with BatchNormalization."""
    for layer in leaf_layers(model):
        try:
            x = layer.input
        except (AttributeError, ValueError):  # a layer used more than once, or not yet
            continue
        if not isinstance(x, (list, tuple)) and _reads_image_features(layer, x):
            return True
    return False


def _reads_image_features(layer, x):
    """Whether `layer` is a BatchNormalization of channels-last feature maps."""
    if not isinstance(layer, keras.layers.BatchNormalization) or len(x.shape) < 4:
        return False
    return layer.axis in (-1, len(x.shape) - 1)


class _Tracer:
    """Re-runs a model's graph on new tensors with fresh layer copies."""

    def __init__(self, dtype_policy=None, pre_activation=(), offsets=None, statistics=False):
        self.dtype_policy = dtype_policy
        self.statistics = statistics  # tap each BatchNormalization's input (`StatisticsGap`)
        self.gaps = []  # (original BatchNormalization, its StatisticsGap, the gap tensor)
        self.pre_activation = set(pre_activation)  # layer names whose input to the activation is tapped
        self.offsets = dict(offsets or {})  # layer name -> layer added to its output
        self.copies = {}  # id(original layer) -> (original, copy)
        self.outputs = {}  # layer name -> first output tensor
        self.producers = {}  # id(output tensor) -> (original layer, args, kwargs)

    def copy_of(self, layer, config_changes=None):
        if config_changes and "activation" in config_changes:
            # A second copy of a layer needs a name of its own in the probe.
            config_changes = {**config_changes, "name": f"{layer.name}_linear"}
        if self.dtype_policy is not None:
            config_changes = {**(config_changes or {}), "dtype": self.dtype_policy}
        key = (id(layer), tuple(sorted((config_changes or {}).items())))
        if key not in self.copies:
            self.copies[key] = (layer, _fresh_copy(layer, config_changes))
        return self.copies[key][1]

    def trace(self, model, inputs):
        if isinstance(model, keras.Sequential):
            x = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
            for layer in model.layers:
                x = self.apply(layer, x)
            return x
        # The graph runner that `keras.models.clone_model` uses, called
        # directly: building a throwaway Functional on intermediate tensors
        # would clone (and disconnect) its outputs.
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
            inputs = inputs[0]
        outputs = model._run_through_graph(inputs, operation_fn=lambda layer: layer, call_fn=self.apply)
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            return outputs[0]
        return outputs

    def apply(self, layer, *args, **kwargs):
        if is_graph_model(layer):
            out = self.trace(layer, args[0] if len(args) == 1 else list(args))
        else:
            if self.statistics and args and _reads_image_features(layer, args[0]):
                # Numbered: a layer applied twice is tapped twice.
                name = f"{layer.name}_statistics_{len(self.gaps)}"
                gap = StatisticsGap(args[0].shape[-1], name=name)
                self.gaps.append((layer, gap, gap(args[0])))
            out = self.copy_of(layer)(*args, **kwargs)
            self.producers[id(out)] = (layer, args, kwargs)
            if layer.name in self.offsets:
                out = self.offsets[layer.name](out)
            if layer.name in self.pre_activation:
                self.outputs.setdefault(
                    layer.name + PRE_ACTIVATION, self._before_activation(layer, args, kwargs)
                )
        self.outputs.setdefault(layer.name, out)
        return out

    def _before_activation(self, layer, args, kwargs):
        """What `layer` computes before its activation: a linear copy's output, or its input."""
        if isinstance(layer, (keras.layers.Activation, keras.layers.ReLU, keras.layers.Softmax)):
            return args[0]
        if _activation_name(layer) not in (None, "linear"):
            return self.copy_of(layer, {"activation": "linear"})(*args, **kwargs)
        raise ValueError(
            f"Layer {layer.name!r} has no activation to read before: target the layer itself "
            f"(pre_activation=False). Received: layer={layer.name!r}, pre_activation=True"
        )

    def logits(self, output):
        """The logits behind `output` and the squashing removed, or `None`."""
        layer, args, kwargs = self.producers[id(output)]
        kind = _squashing_kind(layer)
        squashing = "softmax" if isinstance(layer, keras.layers.Softmax) else _activation_name(layer)
        if kind == "layer":
            return args[0], squashing
        if kind == "activation":
            linear = self.copy_of(layer, {"activation": "linear"})
            return linear(*args, **kwargs), squashing
        return output, None

    def features(self, output):
        """The input of the layer that computes the logits behind `output`, or `None`."""
        layer, args, _ = self.producers[id(output)]
        if _squashing_kind(layer) == "layer":  # a separate softmax: the layer before it
            if id(args[0]) not in self.producers:
                return None
            layer, args, _ = self.producers[id(args[0])]
        return args[0] if args else None

    def copy_weights(self):
        for original, copy in self.copies.values():
            copy.set_weights(original.get_weights())
        for original, gap, _ in self.gaps:
            gap.copy_from(original)


class ClassifierProbe:
    """A frozen copy of a classifier that outputs logits and hidden layers.

    Args:
        classifier: A built Sequential or functional `keras.Model` with one
            image input and one class output.
        layers: Names of hidden layers whose outputs are needed, nested
            models included; `"<name>/pre_activation"` taps a layer's value
            before its activation. Defaults to `()`.
        dtype_policy: A Keras dtype policy name (`"mixed_bfloat16"`, say)
            for every layer of the copy, or `None` to keep each layer's
            own. Defaults to `None`.
        input_shape: The image size for a classifier whose input leaves it
            open (see `image_input_shape`). Defaults to `None`.
        head: What the classifier's output is. `"auto"` recognises it:
            a softmax (a layer's activation, or a separate `Softmax` or
            `Activation("softmax")` layer) or logits of several classes
            are exclusive classes; one sigmoid unit, or one logit, is a
            binary classifier; several sigmoid units are independent
            labels. Say it when it cannot be recognised: `"softmax"`
            (exclusive classes, the output is their logits),
            `"sigmoid"` (independent labels, or one label: binary, the
            output is their logits) or `"probabilities"` (exclusive
            classes, the output already probabilities by some layer the
            probe does not know). Defaults to `"auto"`.
        offset: Optional `(layer_name, layer)`: `layer` is applied to the
            named layer's output, and is the probe's only trainable layer
            (`keras_featviz.views.gradients` reads gradients through it).
            Defaults to `None`.
        features: Bool, also output `"features"`: the penultimate
            features, the input of the layer that computes the logits,
            flattened. Defaults to `False`.
        statistics: Bool, also output `"statistics"` `(batch,)`: for each
            image, the sum over the BatchNormalization layers of feature
            maps of its `StatisticsGap`. Defaults to `False`.

    Attributes:
        model: The frozen copy, a `keras.Model` from an image to a dict with
            `"logits"` and one entry per layer name.
        num_classes: Int, the number of classes: 2 for a binary classifier
            (class 0 the negative, class 1 the positive), the outputs
            otherwise.
        head: `"softmax"` (exclusive classes), `"binary"` (one unit, read
            as the two-class logits `[-z/2, z/2]`, whose softmax is
            `[1 - sigmoid(z), sigmoid(z)]`) or `"multilabel"` (independent
            sigmoid labels).
        squashing: The removed head (`"softmax"`, `"sigmoid"`,
            `"log_softmax"`) or `None` if the classifier outputs logits.
        input_shape: The `(height, width, channels)` of the classifier.
        output_shapes: Dict, layer name to output shape (batch excluded).

    Raises:
        ValueError: if the classifier is not an image classifier with one
            output, a layer name is unknown (close names are listed), or
            `statistics` is asked of a classifier without BatchNormalization
            layers of feature maps.
    """

    def __init__(
        self,
        classifier,
        layers=(),
        dtype_policy=None,
        input_shape=None,
        head="auto",
        offset=None,
        features=False,
        statistics=False,
    ):
        self.input_shape = image_input_shape(classifier, input_shape)
        self.classifier = classifier
        pre_activation = [name[: -len(PRE_ACTIVATION)] for name in layers if name.endswith(PRE_ACTIVATION)]
        tracer = _Tracer(
            dtype_policy, pre_activation, offsets=dict([offset]) if offset else None, statistics=statistics
        )
        inputs = keras.Input(self.input_shape, name="image")
        output = tracer.trace(classifier, inputs)
        if isinstance(output, list):
            raise ValueError(
                f"The classifier must have a single class output. Received: {len(output)} outputs"
            )
        logits, self.squashing = tracer.logits(output)
        self.head, logits = _read_head(head, self.squashing, logits)
        outputs = {"logits": logits}
        if features:
            outputs["features"] = self._features(tracer, output, classifier)
        if statistics:
            outputs["statistics"] = self._statistics(tracer, classifier)
        for name in layers:
            if name not in tracer.outputs:
                raise unknown_layer_error(name.removesuffix(PRE_ACTIVATION), classifier)
            outputs[name] = tracer.outputs[name]
        if len(outputs["logits"].shape) != 2:
            raise ValueError(
                "The classifier's output must be a vector of class scores, "
                "(batch, classes). Received: output_shape="
                f"{tuple(outputs['logits'].shape)}"
            )
        self.model = keras.Model(inputs, outputs, name=f"{classifier.name}_probe")
        self._tracer = tracer
        self.sync_weights()
        if offset is None:
            self.model.trainable = False
        else:
            for layer in self.model.layers:
                layer.trainable = layer is offset[1]
        self.num_classes = int(outputs["logits"].shape[-1])
        self.output_shapes = {name: tuple(outputs[name].shape[1:]) for name in layers}

    @staticmethod
    def _features(tracer, output, classifier):
        found = tracer.features(output)
        if found is None:
            raise ValueError(
                "The classifier's logits are not computed by a layer from features, so there are no "
                f"penultimate features to compare. Received: classifier={classifier.name!r}"
            )
        return keras.layers.Flatten(name="features")(found) if len(found.shape) > 2 else found

    @staticmethod
    def _statistics(tracer, classifier):
        if not tracer.gaps:
            raise ValueError(
                "The statistics prior needs BatchNormalization layers of feature maps "
                "(channels last) in the classifier, and it has none: set its weight to 0. "
                f"Received: classifier={classifier.name!r}"
            )
        gaps = [gap for _, _, gap in tracer.gaps]
        return keras.ops.sum(keras.ops.stack(gaps, axis=-1), axis=-1) if len(gaps) > 1 else gaps[0]

    def probabilities(self, logits):
        """The class probabilities of NumPy `logits` `(N, classes)`, as the head gives them."""
        logits = np.asarray(logits, "float64")
        if self.head == "multilabel":
            return (1.0 / (1.0 + np.exp(-logits))).astype("float32")
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (shifted / shifted.sum(axis=1, keepdims=True)).astype("float32")

    def sync_weights(self):
        """Copy the classifier's current weights into the probe (cheap).

        The callbacks call this each epoch so the probe follows training.
        """
        self._tracer.copy_weights()
