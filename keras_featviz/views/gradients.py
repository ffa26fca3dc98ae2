"""Gradients of objectives with respect to the image or a hidden layer, on every backend.

Keras 3 has no backend-agnostic "gradient of this with respect to that", but
every backend trains a model. `GradientReader` adds a zero `Offset` to the
image (or to one hidden layer's output) of a frozen copy of the classifier
and trains that offset for one SGD step with learning rate 1 on the loss
`-score`: the step leaves it at `0 - 1 * d(-score)/d(offset)`, exactly the
gradient of the score, which the reader returns and then sets back to zero.
The score is an objective's value (a class's logit, a channel's mean), so
attribution reads the same objectives as the visualizations.
"""

import keras
import numpy as np
from keras import ops

from keras_featviz import preprocessing
from keras_featviz.optimization.coupled import ReadoutPlan
from keras_featviz.surgery import ClassifierProbe

IMAGE = None  # `layer=IMAGE`: the gradient with respect to the input image


class Offset(keras.layers.Layer):
    """Adds a trainable offset, one per batch row, initialised to zero.

    Args:
        batch_size: Int, the rows of the batches it will see.
    """

    def __init__(self, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.batch_size = int(batch_size)

    def build(self, input_shape):
        self.offset = self.add_weight(
            shape=(self.batch_size, *input_shape[1:]), initializer="zeros", name="offset"
        )

    def call(self, inputs):
        return inputs + ops.cast(self.offset, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return (self.batch_size, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "batch_size": self.batch_size}


class _ScoreModel(keras.Model):
    """Image -> the objectives' readouts; `compute_loss` is `-sum(weights * readouts)`."""

    def __init__(self, probe, plan, preprocess, image_offset, layer, **kwargs):
        super().__init__(dtype="float32", **kwargs)
        self.probe = probe
        self.plan = plan
        self.preprocess = preprocess
        self.image_offset = image_offset
        self.layer = layer

    def call(self, images, training=False):
        if self.image_offset is not None:
            images = self.image_offset(images)
        # Dropout and batch statistics stay off: the gradient is the model's
        # at inference, whatever `train_on_batch` asks.
        outputs = self.probe(self.preprocess(images), training=False)
        result = {"readouts": self.plan.readouts(outputs)}
        if self.layer is not None:
            result["layer"] = ops.cast(outputs[self.layer], "float32")
        return result

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return -ops.sum(ops.convert_to_tensor(y) * y_pred["readouts"])


def padded(array, rows):
    """`array` with zero rows added up to `rows`: one compiled shape for every batch.

    A compiled step is traced again for each new batch shape; TensorFlow
    warns of retracing after a few.
    """
    pad = rows - len(array)
    if not pad:
        return array
    return np.concatenate([array, np.zeros((pad, *array.shape[1:]), array.dtype)])


class GradientReader:
    """Gradients of objectives, one per image, with respect to the image or a layer.

    Args:
        classifier: The Keras classifier (only read; a frozen copy is used).
        objectives: List of `Objective`; each image's score is one of them.
        layer: String, the hidden layer whose output the gradient is taken
            with respect to (Grad-CAM), or `None` for the input image.
            Defaults to `None`.
        preprocess: Applied to the images before the classifier (see
            `keras_featviz.preprocessing`); the gradient is with respect to
            the images before it. Defaults to `None`.
        batch_size: Int, images per compiled step; a last, shorter batch is
            padded. Defaults to `32`.
        head: As in `ClassifierProbe`. Defaults to `"auto"`.
        input_shape: As in `ClassifierProbe`. Defaults to `None`.

    Raises:
        ValueError: for a layer the classifier does not have, or an
            objective out of range.
    """

    def __init__(
        self,
        classifier,
        objectives,
        layer=IMAGE,
        preprocess=None,
        batch_size=32,
        head="auto",
        input_shape=None,
    ):
        self.batch_size = int(batch_size)
        self.layer = layer
        offset = Offset(self.batch_size, name="featviz_offset")
        layers = sorted({*(name for o in objectives for name in o.layers), *([layer] if layer else [])})
        self.probe = ClassifierProbe(
            classifier,
            layers,
            input_shape=input_shape,
            head=head,
            offset=None if layer is IMAGE else (layer, offset),
        )
        self.plan = ReadoutPlan(objectives, self.probe)
        self.num_classes = self.probe.num_classes
        self._offset = offset
        self.model = _ScoreModel(
            self.probe.model,
            self.plan,
            preprocessing.get(preprocess, self.probe.input_shape[-1]),
            offset if layer is IMAGE else None,
            layer,
            name="score_model",
        )
        self.model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0))
        self.model(np.zeros((self.batch_size, *self.probe.input_shape), "float32"))

    def sync_weights(self):
        """Copy the classifier's current weights into the frozen copy."""
        self.probe.sync_weights()

    def __call__(self, images, which, outputs=True):
        """Gradients of each image's objective.

        Args:
            images: float array `(N, H, W, C)`, before `preprocess`.
            which: int array `(N,)`, the index of each image's objective in
                `objectives`.
            outputs: Bool, also return the scores and the layer's output
                (one more forward pass). Defaults to `True`.

        Returns:
            A tuple `(gradients, scores, values)`: float32 arrays of the
            gradients `(N, ...)` with respect to the image or the layer,
            the objectives' scores `(N,)`, and the layer's output `(N,
            ...)` (`None` for the image); scores and values are `None`
            without `outputs`.
        """
        images = np.asarray(images, "float32")
        rows = self.plan.weights[np.asarray(which, "int64")]
        parts = [
            self._batch(images[s : s + self.batch_size], rows[s : s + self.batch_size], outputs)
            for s in range(0, len(images), self.batch_size)
        ]
        gradients, scores, values = (list(p) for p in zip(*parts))
        if not outputs:
            return np.concatenate(gradients), None, None
        values = None if self.layer is IMAGE else np.concatenate(values)
        return np.concatenate(gradients), np.concatenate(scores), values

    def forward(self, images):
        """The readouts `(N, plan.width)` of `images` (class logits first); no gradient."""
        images = np.asarray(images, "float32")
        parts = []
        for start in range(0, len(images), self.batch_size):
            chunk = images[start : start + self.batch_size]
            outputs = self.model.predict_on_batch(self._padded(chunk))
            parts.append(ops.convert_to_numpy(outputs["readouts"])[: len(chunk)])
        return np.concatenate(parts)

    def _padded(self, array):
        return padded(array, self.batch_size)

    def _batch(self, images, rows, outputs=True):
        count = len(images)
        images, rows = self._padded(images), self._padded(rows)
        self.model.train_on_batch(images, rows)
        variable = self._offset.offset
        gradient = ops.convert_to_numpy(variable)[:count]
        variable.assign(ops.zeros(variable.shape, variable.dtype))
        if not outputs:
            return gradient, None, None
        # Read after the step: the offset is zero again, so these are the images' own.
        outputs = self.model.predict_on_batch(images)
        scores = np.sum(ops.convert_to_numpy(outputs["readouts"]) * rows, axis=1)[:count]
        values = ops.convert_to_numpy(outputs["layer"])[:count] if "layer" in outputs else None
        return gradient, scores, values
