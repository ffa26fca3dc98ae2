"""Dataset examples: the real images each target responds to most.

For each target (a class, channel, unit or group: the objectives the
visualizations maximise) `dataset_examples` streams the user's data through
a frozen copy of the classifier in batches and keeps the top-k images by the
objective's value: a class's logit, a channel's spatial mean. Memory holds
one batch and k images per target, whatever the data's size. Shown beside a
synthesized image they anchor it in real data (seed 004, Lucid, OpenAI
Microscope).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from keras_featviz import defaults
from keras_featviz import objectives as obj
from keras_featviz.io import imagenet
from keras_featviz.io.sheets import displayable, labelled_rows, save_sheets
from keras_featviz.surgery import class_count
from keras_featviz.validation import non_finite_images, positive_int
from keras_featviz.views.gradients import GradientReader


class DatasetExamples:
    """The top-k images of a dataset for each target.

    Attributes:
        names: List of `T` objective names.
        labels: List of `T` target labels (class names when known).
        images: uint8 array `(T, k, H, W, C)`, best first.
        scores: float array `(T, k)`, each image's objective value.
        indices: int array `(T, k)`, each image's position in the data.
        classes: int array `(T, k)`, each image's true class when the data
            had labels, else `-1`.
        class_names: The class names, or `None`.
        sources: A name for each image of the data (its file, say), shown
            in captions instead of its position, or `None`.
    """

    def __init__(self, names, labels, images, scores, indices, classes, class_names=None, sources=None):
        self.names = list(names)
        self.labels = list(labels)
        self.images = images
        self.scores = scores
        self.indices = indices
        self.classes = classes
        self.class_names = class_names
        self.sources = None if sources is None else list(sources)

    def __len__(self):
        return len(self.names)

    def caption(self, t, n):
        """The caption of example `n` of target `t`: data index, value, true class."""
        index = self.indices[t, n]
        where = f"#{index}" if self.sources is None else str(self.sources[index])
        text = f"{where} a={self.scores[t, n]:.3g}"
        k = self.classes[t, n]
        if k >= 0:
            text += f" {self.class_names[k] if self.class_names else k}"
        return text

    def strip(self, t, synthesized=None):
        """Target `t`'s tiles: the synthesized image first if given, then its top-k."""
        found = [n for n in range(self.images.shape[1]) if np.isfinite(self.scores[t, n])]
        tiles = [self.images[t, n] for n in found]
        captions = [self.caption(t, n) for n in found]
        if synthesized is not None:
            tiles, captions = [synthesized, *tiles], ["synthesized", *captions]
        return tiles, captions

    def sheet(self, indices=None, synthesized=None, **layout):
        """A labelled sheet, a row per target (its synthesized image first if given).

        Args:
            indices: Which targets; all by default. Defaults to `None`.
            synthesized: Optional uint8 array `(T, H, W, C)`, the targets'
                synthesized images (a `Visualization`'s `images`).
                Defaults to `None`.
            **layout: `tile` and `columns` of `sheets.labelled_rows`.

        Returns:
            A `PIL.Image.Image`.
        """
        indices = range(len(self)) if indices is None else indices
        strips = [self.strip(t, None if synthesized is None else synthesized[t]) for t in indices]
        return labelled_rows(
            [s[0] for s in strips], [s[1] for s in strips], [self.labels[t] for t in indices], **layout
        )

    def save(self, directory, per_sheet=20):
        """Write `examples.png` (or `examples_000.png`, ...), a row per target, into `directory`.

        Returns:
            The list of paths written.
        """
        return save_sheets(self.sheet, len(self), directory, "examples", per_sheet)


def _batches(data, batch_size):
    """`(x, y or None)` NumPy batches from an array, `(x, y)`, a `tf.data.Dataset`,
    a `keras.utils.PyDataset` or any iterable of batches."""
    if isinstance(data, np.ndarray) or (isinstance(data, tuple) and len(data) in (2, 3)):
        x, y = (data, None) if isinstance(data, np.ndarray) else (np.asarray(data[0]), np.asarray(data[1]))
        for start in range(0, len(x), batch_size):
            yield x[start : start + batch_size], None if y is None else y[start : start + batch_size]
        return
    if isinstance(data, keras.utils.PyDataset):
        items = (data[i] for i in range(len(data)))
    else:
        items = iter(data)
    for item in items:
        x, y = (item[0], item[1]) if isinstance(item, (tuple, list)) and len(item) >= 2 else (item, None)
        x = keras.ops.convert_to_numpy(x)
        y = None if y is None else keras.ops.convert_to_numpy(y)
        if x.ndim == 3:  # an unbatched dataset: one image per element
            x, y = x[None], None if y is None else np.reshape(y, (1, -1))
        yield x, y


def _class_of(y):
    """True classes of a batch of labels: integers, or one-hot rows."""
    if y is None:
        return None
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        return np.argmax(y.reshape(len(y), -1), axis=1)
    return y.reshape(len(y)).astype("int64")


class _TopK:
    """The k best images per target seen so far."""

    def __init__(self, targets, k):
        self.k = k
        self.scores = np.full((targets, k), -np.inf, "float32")
        self.indices = np.full((targets, k), -1, "int64")
        self.classes = np.full((targets, k), -1, "int64")
        self.images = None

    def add(self, images, scores, start, classes):
        """Merge a batch: `images` uint8 `(B, ...)`, `scores` `(B, T)`."""
        if self.images is None:
            self.images = np.zeros((len(self.scores), self.k, *images.shape[1:]), "uint8")
        count = len(images)
        for t in range(len(self.scores)):
            merged = np.concatenate([self.scores[t], scores[:, t]])
            # Ties keep the earlier image: stable sort of the negated scores.
            best = np.argsort(-merged, kind="stable")[: self.k]
            self.scores[t] = merged[best]
            batch_classes = np.full(count, -1) if classes is None else classes
            for kept, fresh in (
                (self.images, images),
                (self.indices, start + np.arange(count)),
                (self.classes, batch_classes),
            ):
                kept[t] = _pick(kept[t], fresh, best, self.k)


def _pick(kept, fresh, best, k):
    """Rows `best` of `kept` followed by `fresh` (positions >= k are in `fresh`)."""
    picked = np.empty_like(kept)
    old = best < k
    picked[old] = kept[best[old]]
    picked[~old] = fresh[best[~old] - k]
    return picked


def dataset_examples(
    classifier: keras.Model,
    data: Any,
    targets: Any,
    k: int = defaults.EXAMPLES_K,
    preprocess: str | Callable | None = None,
    class_names: Sequence[str] | None = None,
    batch_size: int = defaults.EXAMPLES_BATCH_SIZE,
    head: str = "auto",
    input_shape: tuple[int, int, int] | None = None,
) -> DatasetExamples:
    """The top-k images of `data` for each target, streamed in batches.

    Args:
        classifier: A Sequential or functional Keras image classifier (only
            read; a frozen copy is used).
        data: The images: an array `(N, H, W, C)`, a tuple `(x, y)`, a
            `tf.data.Dataset` or a `keras.utils.PyDataset` yielding `x` or
            `(x, y)` batches (labels, integer or one-hot, are shown in the
            captions). As the model takes them, or RGB 0-255 pixels with
            `preprocess`.
        targets: A target or a list of targets: class indices, class names
            (with `class_names`) or objectives (channels, units, groups).
        k: Int, images kept per target. Defaults to
            `defaults.EXAMPLES_K`.
        preprocess: As in `keras_featviz.views.attribution.Attributor`.
            Defaults to `None`.
        class_names: Optional list naming every class. Defaults to `None`.
        batch_size: Int, images per forward pass for array data (datasets
            keep their own batches). Defaults to
            `defaults.EXAMPLES_BATCH_SIZE`.
        head: As in `FeatureVisualizer`. Defaults to `"auto"`.
        input_shape: As in `FeatureVisualizer`. Defaults to `None`.

    Returns:
        A `DatasetExamples`.

    Example:

    >>> found = keras_featviz.dataset_examples(model, x_val, [0, 1], k=8)
    >>> found.sheet().save("examples.png")

    Raises:
        ValueError: for a bad `k` or target, images that do not fit the
            classifier, or data with no images.
    """
    return ExampleFinder(classifier, targets, k, preprocess, class_names, batch_size, head, input_shape).find(
        data
    )


class ExampleFinder:
    """`dataset_examples`, kept compiled for repeated calls (the training callback's).

    Args: as `dataset_examples`, without `data`.
    """

    def __init__(
        self,
        classifier,
        targets,
        k=defaults.EXAMPLES_K,
        preprocess=None,
        class_names=None,
        batch_size=defaults.EXAMPLES_BATCH_SIZE,
        head="auto",
        input_shape=None,
    ):
        self.k = positive_int(k, "k")
        self.batch_size = positive_int(batch_size, "batch_size")
        if isinstance(targets, (str, numbers.Integral, obj.Objective)) or np.ndim(targets) == 0:
            targets = [targets]
        targets = list(targets)
        if not targets:
            raise ValueError("`targets` must name at least one target. Received: targets=[]")
        # Names are looked up before the classifier is copied (the copy needs
        # the objectives); a 1,000-unit output has ImageNet's by default.
        lookup = class_names if class_names is not None else imagenet.names_for(class_count(classifier))
        self.objectives = [obj.from_target(t, lookup) for t in targets]
        self.reader = GradientReader(
            classifier,
            self.objectives,
            preprocess=preprocess,
            batch_size=self.batch_size,
            head=head,
            input_shape=input_shape,
        )
        self.class_names = imagenet.resolve_names(class_names, self.reader.num_classes)
        self.pixels = preprocess is not None
        self.image_shape = tuple(self.reader.probe.input_shape)

    def sync_weights(self):
        """Copy the classifier's current weights into the frozen copy."""
        self.reader.sync_weights()

    def check(self, data):
        """Read the first batch of `data` and check its shape, before a long run.

        Raises:
            ValueError: for images that do not fit the classifier, or no images.
        """
        for x, _ in _batches(data, self.batch_size):
            self._check_batch(x)
            return
        raise ValueError("`data` must hold at least one image. Received: no images")

    def _check_batch(self, x):
        if x.shape[1:] != self.image_shape:
            raise ValueError(
                f"Images must be (N, {', '.join(map(str, self.image_shape))}) for this "
                f"classifier. Received: a batch with shape {x.shape}"
            )

    def find(self, data, sources=None):
        """The top-k images of `data` (see `dataset_examples`).

        Args:
            data: As in `dataset_examples`.
            sources: Optional names of the data's images in order (file
                names, as `load_images(..., return_names=True)` gives),
                shown in captions instead of positions. Defaults to `None`.
        """
        top = _TopK(len(self.objectives), self.k)
        seen = 0
        for x, y in _batches(data, self.batch_size):
            self._check_batch(x)
            x = np.asarray(x, "float32")
            bad = non_finite_images(x)
            if bad.any():
                raise ValueError(
                    "`data` must hold finite pixel values. Received: NaN or infinity in the image "
                    f"at index {seen + int(np.argmax(bad))}"
                )
            scores = self.reader.forward(x) @ self.reader.plan.weights.T
            top.add(displayable(x, pixels=self.pixels), scores, seen, _class_of(y))
            seen += len(x)
        if not seen:
            raise ValueError("`data` must hold at least one image. Received: no images")
        return DatasetExamples(
            [o.name for o in self.objectives],
            [obj.label(o, self.class_names) for o in self.objectives],
            top.images,
            top.scores,
            top.indices,
            top.classes,
            self.class_names,
            sources=sources,
        )
