"""Attribution maps: where in a real image the classifier looks.

Six methods, each a map `(H, W)` per image for one objective (by default
the class the classifier ranks first), written with `keras.ops` and the
backend-agnostic gradients of `keras_featviz.views.gradients`, so they run on
TensorFlow, JAX and PyTorch:

| method | the map | reference |
| --- | --- | --- |
| `"saliency"` | max over channels of the gradient's magnitude | Simonyan et al. 2014 |
| `"gradient_x_input"` | gradient times input, summed over channels | Shrikumar et al. 2016 |
| `"smoothgrad"` | saliency averaged over noisy copies | Smilkov et al. 2017 |
| `"integrated_gradients"` | (input - baseline) times the gradient averaged on the path | Sundararajan et al. 2017 |
| `"grad_cam"` | ReLU of a conv layer's channels weighted by their mean gradient | Selvaraju et al. 2017 |
| `"occlusion"` | the score's drop when a patch is covered by the baseline | Zeiler and Fergus 2014 |

Gradient x input, integrated gradients and occlusion are signed
(`SIGNED_METHODS`): the sheets draw them red where the pixels raise the
target and blue where they lower it, so a map's sign is never lost to its
magnitude; the other three are drawn as magnitudes in a heat map.

Example:

>>> attributor = Attributor(model, preprocess="unit", class_names=names)
>>> result = attributor.attribute(pixels, ["saliency", "grad_cam"])
>>> result.sheet().save("attribution.png")
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import keras
import numpy as np
from keras import ops

from keras_featviz import defaults
from keras_featviz import objectives as obj
from keras_featviz.io import imagenet
from keras_featviz.io.sheets import (
    below,
    displayable,
    heat_overlay,
    labelled_rows,
    legend,
    normalized,
    save_sheets,
)
from keras_featviz.surgery import all_layer_names, leaf_layers, unknown_layer_error
from keras_featviz.validation import number, positive_int, random_seed
from keras_featviz.views.gradients import IMAGE, GradientReader

METHODS = (
    "saliency",
    "gradient_x_input",
    "smoothgrad",
    "integrated_gradients",
    "grad_cam",
    "occlusion",
)
# Methods whose maps carry a sign: positive where the pixels raise the
# target, negative where they lower it. The others are magnitudes
# (saliency, SmoothGrad) or kept positive by a ReLU (Grad-CAM).
SIGNED_METHODS = ("gradient_x_input", "integrated_gradients", "occlusion")
_CONVOLUTIONS = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)


def check_methods(methods):
    """`methods` (a name or a list of names of `METHODS`) as a list.

    Raises:
        ValueError: for an empty list or a name not in `METHODS`.
    """
    listed = [methods] if isinstance(methods, str) else list(methods)
    if not listed or any(m not in METHODS for m in listed):
        raise ValueError(f"`methods` must be one or more of {list(METHODS)}. Received: methods={methods!r}")
    return listed


def grad_cam_layer(model):
    """Grad-CAM's default layer: the last convolution's output, after its activation.

    The last layer whose output is a feature map as large as the last
    convolution's (the convolution itself, or the normalisation and
    activation that follow it; not a pooling that shrinks it). After the
    activation, the gradient reaches every channel even where a ReLU6
    holds it at its ceiling: it comes from the layers above.

    Raises:
        ValueError: if the model has no 2-D convolution.
    """
    layers = list(leaf_layers(model))
    convolutions = [i for i, layer in enumerate(layers) if isinstance(layer, _CONVOLUTIONS)]
    if not convolutions:
        raise ValueError(
            "Grad-CAM needs a convolutional layer, and the classifier has none: use another "
            f"method, or pass `layer=`. Received: classifier={model.name!r}"
        )
    shape = tuple(layers[convolutions[-1]].output.shape[1:3])
    chosen = convolutions[-1]
    for i in range(chosen + 1, len(layers)):
        output = layers[i].output if hasattr(layers[i], "output") else None
        if output is None or isinstance(output, (list, tuple)) or len(output.shape) != 4:
            break
        if tuple(output.shape[1:3]) != shape:
            break
        chosen = i
    return layers[chosen].name


class Attribution:
    """Attribution maps of a set of images, and what the classifier made of them.

    Attributes:
        images: uint8 array `(N, H, W, C)`, the images as shown.
        maps: Dict, method name to float array `(N, H, W)`.
        labels: List of `N` strings, the target of each map (class name or
            objective name).
        target_classes: int array `(N,)`, each map's class (`-1` for
            other objectives).
        probabilities: float array `(N, classes)`, the classifier's
            probabilities on each image.
        scores: float array `(N,)`, each target's objective value (a
            class's logit) on its image.
        blank: Dict, method name to bool array `(N,)`: True where the map
            is all zero (it shows nothing; the sheet says so under it).
            Grad-CAM is blank when no channel of its layer raises the
            target where it is active, or when no gradient reaches the
            layer.
    """

    def __init__(self, images, maps, labels, target_classes, probabilities, scores):
        self.images = images
        self.maps = maps
        self.blank = {method: ~np.any(m != 0, axis=(1, 2)) for method, m in maps.items()}
        self.labels = list(labels)
        self.target_classes = np.asarray(target_classes, "int64")
        self.probabilities = probabilities
        self.scores = scores

    def __len__(self):
        return len(self.labels)

    def title(self, i):
        """One line on image `i`: its target and the target's probability."""
        target = self.target_classes[i]
        if target >= 0:
            return f"{self.labels[i]}: p={self.probabilities[i, target]:.2f}"
        return f"{self.labels[i]}: a={self.scores[i]:.3g}"

    def drawn(self, method):
        """float array `(N, H, W)`: `method`'s maps as the sheets colour them.

        Signed methods (`SIGNED_METHODS`) in `[-1, 1]`, their sign kept;
        the others as magnitudes in `[0, 1]` (see `sheets.normalized`).
        """
        signed = method in SIGNED_METHODS
        return np.stack([normalized(m, signed) for m in self.maps[method]])

    def strip(self, i):
        """The tiles of image `i`: the image, then one overlay per method, with captions."""
        tiles = [self.images[i]] + [
            heat_overlay(self.images[i], m[i], signed=method in SIGNED_METHODS)
            for method, m in self.maps.items()
        ]
        captions = [f"{method}: all zero" if self.blank[method][i] else method for method in self.maps]
        return tiles, ["image", *captions]

    def sheet(self, indices=None, **layout):
        """A labelled PNG sheet: a row per image (image, then each method), and a colour key.

        Signed maps are drawn red where the pixels raise the target and
        blue where they lower it; magnitudes in the heat map. The key
        under the sheet names the colour maps in use.

        Args:
            indices: Which images; all by default. Defaults to `None`.
            **layout: `tile` and `columns` of `sheets.labelled_rows`.

        Returns:
            A `PIL.Image.Image`.
        """
        indices = range(len(self)) if indices is None else indices
        strips = [self.strip(i) for i in indices]
        sheet = labelled_rows(
            [s[0] for s in strips], [s[1] for s in strips], [self.title(i) for i in indices], **layout
        )
        signed = [method in SIGNED_METHODS for method in self.maps]
        return below(sheet, legend(sheet.width, any(signed), not all(signed)))

    def save(self, directory, per_sheet=20):
        """Write `attribution.png` (or `attribution_000.png`, ...) into `directory`.

        Returns:
            The list of paths written.
        """
        return save_sheets(self.sheet, len(self), directory, "attribution", per_sheet)


class Attributor:
    """Computes attribution maps of a classifier (kept compiled between calls).

    Args:
        classifier: A Sequential or functional Keras image classifier; it is
            only read (a frozen copy is used).
        preprocess: `None` when the images are given as the model takes
            them; otherwise the images are RGB 0-255 pixels and this
            (a mode name or callable of `keras_featviz.preprocessing`)
            maps them for the model. Gradients are taken with respect to
            the images as given. Defaults to `None`.
        class_names: Optional list naming every class. Defaults to `None`
            (ImageNet's names for 1,000 classes).
        layer: Grad-CAM's layer: `"auto"` (the last convolution's output,
            see `grad_cam_layer`) or a layer name. Defaults to `"auto"`.
        samples: Int, SmoothGrad's noisy copies. Defaults to
            `defaults.SMOOTHGRAD_SAMPLES`.
        noise: Float, SmoothGrad's noise, as a fraction of each image's
            value range. Defaults to `defaults.SMOOTHGRAD_NOISE`.
        steps: Int, integrated gradients' points on the path. Defaults to
            `defaults.INTEGRATED_GRADIENTS_STEPS`.
        baseline: Float, the value of integrated gradients' baseline image
            and of occlusion's patch, in the images' own range. Defaults to
            `0.0` (black pixels; the mean colour for caffe-style inputs).
        patch: Int or `None`, occlusion's patch side in pixels; `None` is an
            eighth of the shorter side. Its stride is half of it. Defaults
            to `None`.
        seed: Int or `None`, SmoothGrad's noise. Defaults to
            `defaults.COMMAND_SEED`.
        batch_size: Int, images per compiled step. Defaults to
            `defaults.ATTRIBUTION_BATCH_SIZE`.
        head: As in `FeatureVisualizer`. Defaults to `"auto"`.
        input_shape: As in `FeatureVisualizer`. Defaults to `None`.

    Raises:
        ValueError: for a bad argument or an unknown layer.
    """

    def __init__(
        self,
        classifier: keras.Model,
        preprocess: str | Callable | None = None,
        class_names: Sequence[str] | None = None,
        layer: str = "auto",
        samples: int = defaults.SMOOTHGRAD_SAMPLES,
        noise: float = defaults.SMOOTHGRAD_NOISE,
        steps: int = defaults.INTEGRATED_GRADIENTS_STEPS,
        baseline: float = 0.0,
        patch: int | None = None,
        seed: int | None = defaults.COMMAND_SEED,
        batch_size: int = defaults.ATTRIBUTION_BATCH_SIZE,
        head: str = "auto",
        input_shape: tuple[int, int, int] | None = None,
    ) -> None:
        self.classifier = classifier
        self.preprocess = preprocess
        self.samples = positive_int(samples, "samples")
        self.noise = number(noise, "noise", minimum=0)
        self.steps = positive_int(steps, "steps")
        self.baseline = number(baseline, "baseline")
        self.patch = None if patch is None else positive_int(patch, "patch")
        self.seed = random_seed(seed)
        self.batch_size = positive_int(batch_size, "batch_size")
        self._probe_args = {"head": head, "input_shape": input_shape, "preprocess": preprocess}
        self._image_reader = GradientReader(
            classifier, [obj.class_(0)], batch_size=self.batch_size, **self._probe_args
        )
        self.num_classes = self._image_reader.num_classes
        self.image_shape = self._image_reader.probe.input_shape
        if layer != "auto" and layer not in all_layer_names(classifier):
            raise unknown_layer_error(layer, classifier)
        self._layer = layer
        self.class_names = imagenet.resolve_names(class_names, self.num_classes)
        self._readers: dict[tuple, GradientReader] = {}

    @property
    def layer(self) -> str:
        """Grad-CAM's layer name (found on first use when `"auto"`)."""
        if self._layer == "auto":
            self._layer = grad_cam_layer(self.classifier)
        return self._layer

    def sync_weights(self) -> None:
        """Copy the classifier's current weights into the frozen copies (cheap)."""
        for reader in [self._image_reader, *self._readers.values()]:
            reader.sync_weights()

    def _reader(self, objectives, layer=IMAGE):
        key = (tuple(o.name for o in objectives), layer)
        if key not in self._readers:
            self._readers[key] = GradientReader(
                self.classifier, objectives, layer=layer, batch_size=self.batch_size, **self._probe_args
            )
        return self._readers[key]

    def _objectives(self, targets, count, logits):
        """The objective list and each image's index in it."""
        if targets is None:
            classes = np.argmax(logits, axis=1)
            return [obj.class_(c) for c in range(self.num_classes)], classes
        if isinstance(targets, (str, numbers.Integral, obj.Objective)) or np.ndim(targets) == 0:
            targets = [targets] * count
        targets = list(targets)
        if len(targets) != count:
            raise ValueError(
                "`targets` must be None, one target, or one target per image. "
                f"Received: {len(targets)} targets for {count} images"
            )
        chosen = [obj.from_target(t, self.class_names) for t in targets]
        for o in chosen:
            if any(i >= self.num_classes for (k, _, i) in o.terms if k == obj.CLASS):
                raise ValueError(
                    f"Class index out of range: the classifier has {self.num_classes} classes "
                    f"(0 to {self.num_classes - 1}). Received: target={o.name}"
                )
        distinct = list(dict.fromkeys([obj.class_(c) for c in range(self.num_classes)] + chosen))
        return distinct, np.array([distinct.index(o) for o in chosen])

    def check_images(self, images: np.ndarray) -> np.ndarray:
        """`images` as float32 `(N, H, W, C)` of the classifier's size.

        Raises:
            ValueError: for another shape, no images, or non-finite values.
        """
        images = np.asarray(images, "float32")
        if images.ndim == 3:
            images = images[None]
        if images.ndim != 4 or images.shape[1:] != tuple(self.image_shape) or not len(images):
            raise ValueError(
                f"Images must be an array (N, {', '.join(map(str, self.image_shape))}) for this "
                f"classifier. Received: images with shape {images.shape}"
            )
        if not np.isfinite(images).all():
            raise ValueError("Images must hold finite values. Received: images with NaN or infinity")
        return images

    def attribute(
        self,
        images: np.ndarray,
        methods: str | Sequence[str] = "saliency",
        targets: int | str | obj.Objective | Sequence[int | str | obj.Objective] | None = None,
    ) -> Attribution:
        """Attribution maps of `images`.

        Args:
            images: float array `(N, H, W, C)` (or one image `(H, W, C)`):
                as the model takes them, or RGB 0-255 pixels when
                `preprocess` is given.
            methods: A name or a list of names of `METHODS`. Defaults to
                `"saliency"`.
            targets: What each map explains: `None` for the class the
                classifier ranks first on each image, one target for all
                (class index, class name or objective), or one per image.
                Defaults to `None`.

        Returns:
            An `Attribution`.

        Raises:
            ValueError: for a bad method, images of another shape, or a bad
                target.
        """
        methods = check_methods(methods)
        images = self.check_images(images)
        readouts = self._image_reader.forward(images)
        logits = readouts[:, : self.num_classes]
        objectives, which = self._objectives(targets, len(images), logits)
        reader = self._reader(objectives)
        maps = {m: getattr(self, "_" + m)(reader, images, which, objectives) for m in methods}
        scores = np.sum(reader.forward(images) * reader.plan.weights[which], axis=1)
        chosen = [objectives[i] for i in which]
        return Attribution(
            displayable(images, pixels=self.preprocess is not None),
            maps,
            [obj.label(o, self.class_names) for o in chosen],
            [-1 if o.target_class is None else o.target_class for o in chosen],
            self._image_reader.probe.probabilities(logits),
            scores,
        )

    # -- the methods: each (reader, images, which, objectives) -> (N, H, W) ----------

    def _saliency(self, reader, images, which, objectives):
        gradients = reader(images, which, outputs=False)[0]
        return np.max(np.abs(gradients), axis=-1)

    def _gradient_x_input(self, reader, images, which, objectives):
        gradients = reader(images, which, outputs=False)[0]
        return np.sum(gradients * images, axis=-1)

    def _smoothgrad(self, reader, images, which, objectives):
        rng = np.random.default_rng(self.seed)
        axes = tuple(range(1, images.ndim))
        spread = (images.max(axis=axes, keepdims=True) - images.min(axis=axes, keepdims=True)) * self.noise
        total = np.zeros(images.shape[:3], "float32")
        for _ in range(self.samples):
            noisy = images + rng.normal(size=images.shape).astype("float32") * spread
            total += np.max(np.abs(reader(noisy, which, outputs=False)[0]), axis=-1)
        return total / self.samples

    def _integrated_gradients(self, reader, images, which, objectives):
        baseline = np.full_like(images, self.baseline)
        total = np.zeros_like(images)
        # The midpoint rule: `steps` points inside the path, none at its ends.
        for alpha in (np.arange(self.steps) + 0.5) / self.steps:
            total += reader(baseline + alpha * (images - baseline), which, outputs=False)[0]
        return np.sum((images - baseline) * total / self.steps, axis=-1)

    def _grad_cam(self, reader, images, which, objectives):
        # A softmax reads only the differences between logits, so its maps
        # explain the class against the mean of all classes: with the raw
        # logit, a class the model is sure of (p = 1.00) whose logit the
        # layer lowers everywhere (its bias carries it, the others are
        # lowered more) gave an all-zero map.
        if self._image_reader.probe.head == "softmax" and self.num_classes > 1:
            objectives = [_against_the_mean(o, self.num_classes) for o in objectives]
        layer_reader = self._reader(objectives, self.layer)
        gradients, _, values = layer_reader(images, which)
        if gradients.ndim != 4:
            raise ValueError(
                "Grad-CAM needs a layer with a feature map (batch, height, width, channels). "
                f"Received: layer={self.layer!r} with output shape {gradients.shape[1:]}"
            )
        weights = gradients.mean(axis=(1, 2), keepdims=True)
        cam = np.maximum(np.sum(weights * values, axis=-1, keepdims=True), 0.0)
        resized = ops.image.resize(cam, self.image_shape[:2], interpolation="bilinear")
        return ops.convert_to_numpy(resized)[..., 0]

    def _occlusion(self, reader, images, which, objectives):
        height, width = images.shape[1:3]
        patch = self.patch or max(1, min(height, width) // 8)
        stride = max(1, patch // 2)
        corners = [(y, x) for y in _starts(height, patch, stride) for x in _starts(width, patch, stride)]
        maps = np.zeros(images.shape[:3], "float32")
        for n, image in enumerate(images):
            covered = np.repeat(image[None], len(corners), axis=0)
            for k, (y, x) in enumerate(corners):
                covered[k, y : y + patch, x : x + patch] = self.baseline
            rows = reader.plan.weights[which[n]]
            drops = float(reader.forward(image[None])[0] @ rows) - reader.forward(covered) @ rows
            total, count = np.zeros((height, width), "float32"), np.zeros((height, width), "float32")
            for (y, x), drop in zip(corners, drops):
                total[y : y + patch, x : x + patch] += drop
                count[y : y + patch, x : x + patch] += 1
            maps[n] = total / np.maximum(count, 1)
        return maps


def _against_the_mean(objective, num_classes):
    """A class objective `w . logits` as `(w - mean(w)) . logits`; others as they are."""
    if not objective.terms or any(kind != obj.CLASS for kind, _, _ in objective.terms):
        return objective
    weights = np.zeros(num_classes)
    for (_, _, index), weight in objective.terms.items():
        weights[index] += weight
    weights -= weights.mean()
    terms = {(obj.CLASS, None, k): float(w) for k, w in enumerate(weights) if w != 0}
    return obj.Objective(terms, f"{objective.name}/against_the_mean")


def _starts(size, patch, stride):
    """Patch corners along one side: every `stride`, the last flush with the edge."""
    if patch >= size:
        return [0]
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts
