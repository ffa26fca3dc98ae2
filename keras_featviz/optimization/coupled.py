"""The coupled network of Fig. 2: generator -> preprocessing -> frozen classifier.

- `ReadoutPlan` lays the activations the objectives read (class logits,
  channel means, units) side by side in one vector, and turns each objective
  into a row of weights over that vector. Targets are data, not graph: one
  compiled model serves any classes and channels of the same layers.
- `CoupledModel` is a `keras.Model` whose `compute_loss` is Eq. 2, so it
  trains with plain `fit` on every Keras backend.
"""

import keras
import numpy as np
from keras import ops

from keras_featviz import objectives as obj
from keras_featviz.makers.generators import to_pixels


class ReadoutPlan:
    """Where each objective term is read in the readout vector.

    Args:
        objectives: List of `Objective`.
        probe: The `ClassifierProbe` the objectives are read from.

    Raises:
        ValueError: if an objective names a class, channel or unit out of
            range, or a layer the probe does not tap.
    """

    def __init__(self, objectives, probe):
        self.num_classes = probe.num_classes
        self._shapes = probe.output_shapes
        self.channel_layers = sorted(
            {layer for o in objectives for (k, layer, _) in o.terms if k == obj.CHANNEL}
        )
        unit_indices = {}
        for o in objectives:
            for (kind, layer, index), _ in o.terms.items():
                if kind == obj.UNIT:
                    flat = _flat_unit(index, layer, probe.output_shapes[layer])
                    unit_indices.setdefault(layer, set()).add(flat)
        self.unit_layers = {k: sorted(v) for k, v in sorted(unit_indices.items())}
        self._columns = self._lay_out(probe)
        self.width = sum(len(c) for c in self._columns.values()) + self.num_classes
        self.key = (tuple(self.channel_layers), tuple((k, tuple(v)) for k, v in self.unit_layers.items()))
        self.weights = np.stack([self._row(o) for o in objectives])
        self.others = np.stack([self._others(o) for o in objectives])

    def _lay_out(self, probe):
        columns, start = {}, self.num_classes
        for layer in self.channel_layers:
            count = probe.output_shapes[layer][-1]
            columns[(obj.CHANNEL, layer)] = {i: start + i for i in range(count)}
            start += count
        for layer, indices in self.unit_layers.items():
            columns[(obj.UNIT, layer)] = {j: start + n for n, j in enumerate(indices)}
            start += len(indices)
        return columns

    def _column(self, kind, layer, index):
        if kind == obj.CLASS:
            if index >= self.num_classes:
                raise ValueError(
                    f"Class index out of range: the classifier has "
                    f"{self.num_classes} classes (0 to {self.num_classes - 1}). "
                    f"Received: class={index}"
                )
            return index
        columns = self._columns[(kind, layer)]
        if kind == obj.CHANNEL and index not in columns:
            raise ValueError(
                f"Channel index out of range: layer {layer!r} has "
                f"{len(columns)} channels (0 to {len(columns) - 1}). "
                f"Received: channel={index}"
            )
        return columns[index]

    def _row(self, objective):
        row = np.zeros(self.width, "float32")
        for (kind, layer, index), weight in objective.terms.items():
            if kind == obj.UNIT:
                index = _flat_unit(index, layer, self._shapes[layer])
            row[self._column(kind, layer, index)] += weight
        return row

    def _others(self, objective):
        """Eq. 2's mask: every class but the maximised ones, if any."""
        mask = np.zeros(self.num_classes, "float32")
        if objective.classes:
            mask[:] = 1.0
            mask[objective.classes] = 0.0
        return mask

    def readouts(self, outputs):
        """The readout vector `(batch, width)` from the probe's outputs."""
        parts = [ops.cast(outputs["logits"], "float32")]
        for layer in self.channel_layers:
            x = ops.cast(outputs[layer], "float32")
            if len(x.shape) > 2:
                x = ops.mean(x, axis=tuple(range(1, len(x.shape) - 1)))
            parts.append(x)
        for layer, indices in self.unit_layers.items():
            x = ops.cast(outputs[layer], "float32")
            x = ops.reshape(x, (ops.shape(x)[0], -1))
            parts.append(ops.take(x, np.array(indices, "int32"), axis=1))
        return ops.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]


def _flat_unit(index, layer, shape):
    size = int(np.prod(shape))
    if isinstance(index, tuple):
        if len(index) != len(shape) or any(i >= d for i, d in zip(index, shape)):
            raise ValueError(
                f"Unit index out of range: layer {layer!r} has output shape {shape}. Received: unit={index}"
            )
        return int(np.ravel_multi_index(index, shape))
    if index >= size:
        raise ValueError(
            f"Unit index out of range: layer {layer!r} has {size} units "
            f"(output shape {shape}). Received: unit={index}"
        )
    return index


class LatestValue(keras.metrics.Metric):
    """The value of the last step, not a running mean: what the image is now.

    Progress bars and `ActivationEarlyStopping` read the current activation;
    a mean over all steps so far would trail it.
    """

    def __init__(self, name="latest", **kwargs):
        super().__init__(name=name, **kwargs)
        self.value = self.add_variable(shape=(), initializer="zeros", name="value")

    def update_state(self, value):
        self.value.assign(ops.cast(value, self.dtype))

    def result(self):
        # A tensor, not the variable itself: JAX's jitted step returns it.
        return ops.convert_to_tensor(self.value)


class Chunk:
    """The targets a coupled model is training now, for callbacks to read.

    Attributes:
        names: The objectives' names, one per target.
        f0: The constant generator input `(targets_per_step, features)`.
        readout_targets: The `y` dict of `CoupledModel` (`weights`,
            `others`).
    """

    def __init__(self, names, f0, readout_targets):
        self.names = list(names)
        self.f0 = f0
        self.readout_targets = readout_targets


class CoupledModel(keras.Model):
    """Generator coupled to a frozen classifier probe, trained by Eq. 2.

    The model's input is the constant feature vector `f0`; its targets `y`
    are a dict with `"weights"` (one row of the `ReadoutPlan` per target)
    and `"others"` (Eq. 2's mask of penalised classes).

    A target's positive terms read the raw logit: equal to its ReLU while
    the target is active, and still a gradient while it is not, so the
    paper's condition `a(target) > 0` is reached instead of left to luck.
    Penalised classes and negative terms read ReLU(logit), as in Eq. 2.

    Args:
        generator: `keras.Model` from `f0` to an image (see `to_pixels`).
        probe: The frozen `keras.Model` of a `ClassifierProbe`.
        plan: `ReadoutPlan`; the loop sets another plan that reads the same
            layers before each chunk.
        preprocess: Callable applied to RGB 0-255 pixels before the
            classifier.
        penalty: Float, Eq. 2's lambda.
        paper_loss: Bool, read every class through ReLU as Eq. 2 does, so
            an inactive target gets no gradient (for comparisons with the
            paper's procedure). Defaults to `False`.
        transforms: A layer applied to the pixels before the classifier in
            training only (see `keras_featviz.optimization.transforms`), or `None`.
            Defaults to `None`.
        multilabel: Bool, the classes are independent sigmoid labels: an
            inactive target follows its log-sigmoid rather than its
            log-softmax. Defaults to `False`.
        statistics_weight: Float >= 0, the weight of each image's
            `"statistics"` output of the probe (how far its feature
            statistics stray from the classifier's training ones; see
            `surgery.StatisticsGap`) in the loss; the probe must output
            it when this is above 0. Defaults to `0.0`.
    """

    def __init__(
        self,
        generator,
        probe,
        plan,
        preprocess,
        penalty,
        paper_loss=False,
        transforms=None,
        multilabel=False,
        statistics_weight=0.0,
        **kwargs,
    ):
        super().__init__(dtype="float32", **kwargs)
        self.generator = generator
        self.probe = probe
        self.preprocess = preprocess
        self.penalty = float(penalty)
        self.paper_loss = bool(paper_loss)
        self.transforms = transforms
        self.multilabel = bool(multilabel)
        self.statistics_weight = float(statistics_weight)
        self.use_plan(plan)
        self.activation_tracker = LatestValue(name="activation")
        # The targets of the chunk in training (a `Chunk`), set by the loop
        # (`start_chunk`) before each run and read by the optimisation callbacks.
        self.chunk = None

    def use_plan(self, plan):
        """Read the objectives of `plan` from now on (one of the same shape as the last)."""
        self.plan = plan
        is_class = np.zeros(plan.width, "float32")
        is_class[: plan.num_classes] = 1.0
        self._is_class = is_class

    def start_chunk(self, chunk):
        """The `Chunk` about to be trained, for the optimisation callbacks."""
        self.chunk = chunk

    def call(self, f0, training=False):
        pixels = to_pixels(self.generator(f0, training=training))
        seen = pixels if self.transforms is None else self.transforms(pixels, training=training)
        outputs = self.probe(self.preprocess(seen), training=False)
        coupled = {
            "pixels": pixels,
            "logits": ops.cast(outputs["logits"], "float32"),
            "readouts": self.plan.readouts(outputs),
        }
        if self.statistics_weight:
            coupled["statistics"] = ops.cast(outputs["statistics"], "float32")
        return coupled

    def activations(self, y, y_pred):
        """Each target's objective value: class outputs through ReLU."""
        raw = y_pred["readouts"]
        return ops.sum(ops.convert_to_tensor(y["weights"]) * self._rectified(raw), axis=1)

    def _rectified(self, raw):
        """Class outputs through ReLU (Eq. 2), the other readouts as they are."""
        # A tensor, not the NumPy mask: PyTorch does not multiply the two.
        is_class = ops.convert_to_tensor(self._is_class)
        return is_class * ops.relu(raw) + (1.0 - is_class) * raw

    def _gradient_path(self, raw, logits, weights):
        """What a maximised term reads: the activation, or a path to it.

        An active class (logit > 0) reads its logit, i.e. ReLU(logit) as in
        Eq. 2. An inactive class has no ReLU gradient; raising its raw logit
        is no cure, since darkening the image lowers every logit's magnitude
        and ends in dead classifier units. It reads its log-softmax instead,
        which only rises when the class gains on the others.

        A compound target (two or more classes maximised) reads the
        log-softmax of all its classes: on logits, whichever class leads
        runs away with the image (1.00 and 0.00 on the shapes classifier);
        the sum of log-probabilities is highest when they share it as the
        weights say (`examples/compound_classes.py`).
        """
        if self.multilabel:  # independent labels: each its own probability
            log_probs = ops.log_sigmoid(logits)
        else:
            log_probs = ops.log_softmax(logits, axis=-1)
        padding = ops.zeros_like(raw[:, self.plan.num_classes :])
        log_probs = ops.concatenate([log_probs, padding], axis=1)
        is_class = ops.convert_to_tensor(self._is_class) > 0
        maximised = ops.sum(
            ops.cast(ops.logical_and(weights > 0, is_class), "float32"), axis=1, keepdims=True
        )
        reads_log_probs = ops.logical_and(is_class, ops.logical_or(raw <= 0, maximised > 1))
        return ops.where(reads_log_probs, log_probs, raw)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        # `train_on_batch` hands PyTorch's step the NumPy targets as they are.
        weights, others = ops.convert_to_tensor(y["weights"]), ops.convert_to_tensor(y["others"])
        raw = y_pred["readouts"]
        rectified = self._rectified(raw)
        if self.paper_loss:
            read = rectified
        else:
            read = ops.where(weights > 0, self._gradient_path(raw, y_pred["logits"], weights), rectified)
        gain = ops.sum(weights * read, axis=1)
        loss = ops.sum(-gain + self.penalty * ops.sum(others * ops.relu(y_pred["logits"]), axis=1))
        if self.statistics_weight:
            loss = loss + self.statistics_weight * ops.sum(y_pred["statistics"])
        if self.losses:
            loss = loss + ops.sum(ops.stack(self.losses))
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        real = ops.cast(ops.any(ops.convert_to_tensor(y["weights"]) != 0, axis=1), "float32")
        values = self.activations(y, y_pred)
        self.activation_tracker.update_state(ops.sum(values * real) / ops.maximum(ops.sum(real), 1.0))
        return self.get_metrics_result()
