"""Memorisation: which training images do the class images resemble, and more than unseen ones?

A classifier that memorises a few training images makes class images that
sit closer to those images than to other images of the same class (seed 000:
class visualizations of an overfit model become near-copies or mixtures of
training images). `MemorizationMeter` measures it per class, in the
classifier's own penultimate features (centred on the mean of the compared
images):

- `features`: the cosine similarity of the class image to its nearest
  training image of that class, minus its similarity to the nearest
  held-out image of that class (equal numbers of each). Near 0 when the
  model treats seen and unseen images alike; positive when the class image
  is closer to what it saw.
- `pixels`: the same with mean-centred pixels.
- `sameness`: the mean cosine similarity of the class images made from
  different seeds: near 1 when every start converges to one image. It
  needs no data (seed 000's data-free view), but it did not tell a
  memorising model from a generalising one (`benchmarks/memorization.py`),
  so the callback does not log it.
- `accuracy_gap`: no class image is needed for this one: each class's
  accuracy on its training images minus on its held-out ones (up to
  `per_class` different images of each set, held-out colours matched).
  Keras logs the gap over all classes together, where one memorised class
  among many hardly shows.
- `nearest`: the images themselves (`NearestImages`): the class's training
  and held-out images ranked by their similarity to the class image, so a
  user sees *which* training images the class image is nearest to.

**Shift is not memorisation.** A held-out set unlike the training set (other
lighting, another camera) sits farther from everything the model knows and
would raise the score as memorisation does. So the meter first measures the
shift, a two-sample statistic on the images alone (`input_shift`, see
`shift_score`), then matches the held-out images' colour statistics (each
channel's mean and spread) to the training images' before any comparison,
and measures what shift is left (`residual_shift`). A global brightness,
contrast or colour change is then no longer counted as memorisation; a
shift that remains after matching (other content) is reported, and the
scores are not to be trusted while it is large.

None of these proves memorisation, or its absence, on its own: a class with
one canonical look makes alike images from any start, and a score near 0
compares only the images that maximise each class. They are signals to
read beside the validation loss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np

from keras_featviz import defaults, preprocessing
from keras_featviz.io.sheets import displayable, labelled_rows, save_sheets
from keras_featviz.surgery import ClassifierProbe
from keras_featviz.views.gradients import padded

FEATURES = "features"
PIXELS = "pixels"
SAMENESS = "sameness"
ACCURACY_GAP = "accuracy_gap"
TRAINING = "training"
HELDOUT = "held-out"


def _unit_rows(matrix):
    matrix = np.asarray(matrix, "float64").reshape(len(matrix), -1)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def _centred_pixels(images):
    images = np.asarray(images, "float64").reshape(len(images), -1)
    return _unit_rows(images - images.mean(axis=1, keepdims=True))


def nearest_gap(queries, seen, unseen):
    """Per query row: max cosine similarity to `seen` minus max to `unseen` (unit rows)."""
    return (queries @ seen.T).max(axis=1) - (queries @ unseen.T).max(axis=1)


def _labels(y):
    y = np.asarray(y).reshape(len(y), -1)
    return np.argmax(y, axis=1) if y.shape[1] > 1 else y[:, 0].astype("int64")


def balanced_indices(y, classes, per_class, x=None):
    """Positions of up to `per_class` images of each class of `classes`, in data order.

    With `x`, an image equal to one already taken is passed over: a
    training set that repeats a few images to balance its classes would
    otherwise fill a class's places with copies of one image.
    """
    labels = _labels(y)
    chosen = {}
    for c in classes:
        positions = np.flatnonzero(labels == c)
        if x is None:
            chosen[c] = positions[:per_class]
            continue
        seen, kept = set(), []
        for i in positions:
            key = np.asarray(x[i]).tobytes()
            if key not in seen:
                seen.add(key)
                kept.append(i)
                if len(kept) == per_class:
                    break
        chosen[c] = np.asarray(kept, "int64")
    return chosen


def balanced(x, y, classes, per_class):
    """Up to `per_class` different images of each class of `classes`, in data order: `{class: images}`."""
    return {c: np.asarray(x[i], "float32") for c, i in balanced_indices(y, classes, per_class, x).items()}


def matched_colours(images, reference):
    """`images` with each channel's mean and spread set to those of `reference`.

    A global brightness, contrast or colour change between two sets of
    images is undone; their content is left as it is. Values are clipped to
    the range of `reference`.

    Args:
        images: float array `(N, H, W, C)`.
        reference: float array `(M, H, W, C)`.

    Returns:
        float32 array `(N, H, W, C)`.
    """
    return colour_matcher(images, reference)(images)


def colour_matcher(images, reference):
    """The map `matched_colours(images, reference)` applies, for use on any part of `images`.

    Returns:
        A function of a float array `(n, H, W, C)` to a float32 array.
    """
    images, reference = np.asarray(images, "float64"), np.asarray(reference, "float64")
    axes = tuple(range(images.ndim - 1))
    mean, spread = images.mean(axis=axes), np.maximum(images.std(axis=axes), 1e-12)
    target_mean, target_spread = reference.mean(axis=axes), reference.std(axis=axes)
    low, high = reference.min(), reference.max()

    def match(part):
        matched = (np.asarray(part, "float64") - mean) / spread * target_spread + target_mean
        return np.clip(matched, low, high).astype("float32")

    return match


def thumbnails(images, side=defaults.SHIFT_THUMBNAIL):
    """Images averaged over blocks to at most `side` pixels a side, one row each."""
    images = np.asarray(images, "float64")
    factor = -(-max(images.shape[1:3]) // side)
    height, width = images.shape[1] // factor * factor, images.shape[2] // factor * factor
    blocks = images[:, :height, :width].reshape(
        len(images), height // factor, factor, width // factor, factor, images.shape[-1]
    )
    return blocks.mean(axis=(2, 4)).reshape(len(images), -1)


def shift_score(a, b, permutations=defaults.SHIFT_PERMUTATIONS, seed=0):
    """How surely two sets of images differ: a permutation z-score of their MMD.

    The maximum mean discrepancy (Gretton et al. 2012, Gaussian kernel of
    median bandwidth) of the two sets' thumbnails, minus its mean over
    random splits of the pooled images, in units of its spread over them.
    Near 0 (within about +-2) when the sets are alike; above 3 they
    differ more than chance allows.

    Args:
        a: float array `(N, H, W, C)`.
        b: float array `(M, H, W, C)`.
        permutations: Int, random splits. Defaults to
            `defaults.SHIFT_PERMUTATIONS`.
        seed: Int, the splits' seed. Defaults to `0`.

    Returns:
        A float.
    """
    rng = np.random.default_rng(seed)
    # The kernel matrix grows with the square of the images: a random
    # sample of each set keeps it to defaults.SHIFT_SAMPLE squared.
    a, b = (x[np.sort(rng.permutation(len(x))[: defaults.SHIFT_SAMPLE])] for x in (a, b))
    pooled = thumbnails(np.concatenate([a, b]))
    squares = (pooled**2).sum(axis=1)
    distances = np.maximum(squares[:, None] + squares[None] - 2 * pooled @ pooled.T, 0.0)
    positive = distances[distances > 0]
    kernel = np.exp(-distances / (np.median(positive) if len(positive) else 1.0))

    def discrepancy(order):
        first, second = order[: len(a)], order[len(a) :]
        return (
            kernel[np.ix_(first, first)].mean()
            + kernel[np.ix_(second, second)].mean()
            - 2 * kernel[np.ix_(first, second)].mean()
        )

    observed = discrepancy(np.arange(len(pooled)))
    null = np.array([discrepancy(rng.permutation(len(pooled))) for _ in range(permutations)])
    return float((observed - null.mean()) / max(null.std(), 1e-12))


class NearestImages:
    """For each class image, the class's training and held-out images nearest to it.

    Attributes:
        labels: List of strings, one per class.
        class_images: uint8 array `(classes, H, W, C)`.
        sources: List (per class) of lists of `"training"` or `"held-out"`,
            nearest first.
        indices: List of int arrays: each image's position in the `x` the
            meter was given (`train` or `heldout`, as `sources` says).
        similarities: List of float arrays: cosine similarities in the
            model's centred penultimate features.
        images: List of uint8 arrays `(k, H, W, C)`: the images as given.
        training_counts: int array: how many training images of each class
            were ranked (as many held-out images were).
    """

    def __init__(self, labels, class_images, sources, indices, similarities, images, training_counts):
        self.labels = list(labels)
        self.class_images = class_images
        self.sources, self.indices = sources, indices
        self.similarities, self.images = similarities, images
        self.training_counts = np.asarray(training_counts, "int64")

    def __len__(self):
        return len(self.labels)

    def training_share(self):
        """float array: the share of training images among each class's nearest (chance: 0.5)."""
        return np.array([np.mean([s == TRAINING for s in sources]) for sources in self.sources])

    def summary(self, n):
        """A short line on class `n` (the sheet's title): its training images among the nearest."""
        shown, training = len(self.sources[n]), sum(s == TRAINING for s in self.sources[n])
        text = f"{self.labels[n]}: {training} of {shown} nearest are training"
        return text + (f" (all {training})" if training and training == self.training_counts[n] else "")

    def description(self, n):
        """The same in words, with what chance would give."""
        shown, training = len(self.sources[n]), sum(s == TRAINING for s in self.sources[n])
        text = (
            f"{self.labels[n]}: {training} of the {shown} images nearest to the class image are "
            f"training images, of {self.training_counts[n]} training and as many held-out images of "
            "the class (chance: half)"
        )
        if training and training == self.training_counts[n]:
            text += f"; they are all {training} it trained on"
        return text + "."

    def strip(self, n):
        """The tiles of class `n`: its class image, then its nearest images, with captions."""
        captions = [
            f"{'train' if s == TRAINING else 'held-out'} #{i} {v:.2f}"
            for s, i, v in zip(self.sources[n], self.indices[n], self.similarities[n])
        ]
        return [self.class_images[n], *self.images[n]], ["class image", *captions]

    def sheet(self, indices=None, **layout):
        """A labelled PNG sheet: a row per class (its image, then its nearest images).

        Args:
            indices: Which classes; all by default. Defaults to `None`.
            **layout: `tile` and `columns` of `sheets.labelled_rows`.

        Returns:
            A `PIL.Image.Image`.
        """
        indices = range(len(self)) if indices is None else indices
        strips = [self.strip(n) for n in indices]
        return labelled_rows(
            [s[0] for s in strips], [s[1] for s in strips], [self.summary(n) for n in indices], **layout
        )

    def save(self, directory, per_sheet=20):
        """Write `nearest.png` (or `nearest_000.png`, ...) into `directory`.

        Returns:
            The list of paths written.
        """
        return save_sheets(self.sheet, len(self), directory, "nearest", per_sheet)


class MemorizationMeter:
    """Scores how much each class image resembles seen rather than unseen images.

    The held-out images are compared after their colour statistics are
    matched to the training images' (see the module docstring); the shift
    between the two sets is measured before and after, once, when the
    meter is made.

    Args:
        classifier: The Keras classifier (only read; a frozen copy is used).
        train: `(x, y)` arrays of training images (as the model takes them)
            and their classes (integers or one-hot).
        heldout: `(x, y)` arrays of images the model did not train on.
        classes: List of class indices to score.
        per_class: Int, different images of each class from each set (the
            first in data order; repeats of an image count once); both sets
            use the same number, the smaller of theirs, so neither is
            favoured by its size. Defaults to
            `defaults.MEMORIZATION_PER_CLASS`.
        preprocess: What maps the class images' RGB 0-255 pixels for the
            model (as in `FeatureVisualizer`). Defaults to `None`.
        head: As in `FeatureVisualizer`. Defaults to `"auto"`.
        input_shape: As in `FeatureVisualizer`. Defaults to `None`.
        match_colours: Bool, match the held-out images' colour statistics
            to the training images' before comparing (see
            `matched_colours`); `False` compares them as given, so a
            global shift counts as memorisation. Defaults to `True`.

    Attributes:
        input_shift: Float, `shift_score` of the compared training and
            held-out images as given.
        residual_shift: Float, the same after the held-out images' colours
            are matched: what the scores cannot tell from memorisation.

    Raises:
        ValueError: if a class has no image in `train` or in `heldout`, or
            the classifier has no penultimate features.
    """

    def __init__(
        self,
        classifier: keras.Model,
        train: tuple[np.ndarray, np.ndarray],
        heldout: tuple[np.ndarray, np.ndarray],
        classes: Sequence[int],
        per_class: int = defaults.MEMORIZATION_PER_CLASS,
        preprocess: str | Callable | None = None,
        head: str = "auto",
        input_shape: tuple[int, int, int] | None = None,
        match_colours: bool = True,
    ) -> None:
        self.probe = ClassifierProbe(classifier, head=head, input_shape=input_shape, features=True)
        self.classes = list(classes)
        seen = balanced_indices(train[1], self.classes, per_class, train[0])
        unseen = balanced_indices(heldout[1], self.classes, per_class, heldout[0])
        # The accuracy gaps read every picked image of each set, not equal
        # counts: a class memorised from 4 images would otherwise be judged
        # on 4 held-out images.
        self._gap_indices = (dict(seen), dict(unseen))
        self._gap_data = (train[0], heldout[0])
        for c in self.classes:
            count = min(len(seen[c]), len(unseen[c]))
            if not count:
                raise ValueError(
                    "Every scored class needs images in both the training and the held-out data. "
                    f"Received: {len(seen[c])} training and {len(unseen[c])} held-out images of class {c}"
                )
            seen[c], unseen[c] = seen[c][:count], unseen[c][:count]
        self.seen_index, self.unseen_index = seen, unseen
        self.seen = {c: np.asarray(train[0][i], "float32") for c, i in seen.items()}
        self.unseen_as_given = {c: np.asarray(heldout[0][i], "float32") for c, i in unseen.items()}
        all_seen = np.concatenate(list(self.seen.values()))
        all_unseen = np.concatenate(list(self.unseen_as_given.values()))
        self._match = colour_matcher(all_unseen, all_seen) if match_colours else np.asarray
        matched = self._match(all_unseen)
        ends = np.cumsum([len(unseen[c]) for c in self.classes])[:-1]
        self.unseen = dict(zip(self.classes, np.split(matched, ends)))
        self.input_shift = shift_score(all_seen, all_unseen)
        self.residual_shift = shift_score(all_seen, matched)
        self._preprocess = preprocessing.get(preprocess, self.probe.input_shape[-1])
        # The compared images' features and the accuracy gaps: they change
        # only with the weights.
        self._references = None

    def sync_weights(self) -> None:
        """Copy the classifier's current weights into the frozen copy."""
        self.probe.sync_weights()
        self._references = None

    def _raw_outputs(self, images):
        """The penultimate features of `images`, and the class the model puts first for each."""
        batch = defaults.FEATURE_BATCH_SIZE
        features, firsts = [], []
        for start in range(0, len(images), batch):
            chunk = np.asarray(images[start : start + batch], "float32")
            outputs = self.probe.model.predict_on_batch(padded(chunk, batch))
            features.append(keras.ops.convert_to_numpy(outputs["features"])[: len(chunk)])
            logits = keras.ops.convert_to_numpy(outputs["logits"])[: len(chunk)]
            firsts.append(np.argmax(logits, axis=-1))
        return np.concatenate(features), np.concatenate(firsts)

    def _centred_features(self, class_images):
        """Unit rows of the class images', seen and unseen images' features, about one centre."""
        flat = class_images.reshape(-1, *class_images.shape[2:]).astype("float32")
        model_input = keras.ops.convert_to_numpy(self._preprocess(keras.ops.convert_to_tensor(flat)))
        seen, unseen, centre, _ = self._reference_features()
        queries = _unit_rows(self._raw_outputs(model_input)[0] - centre)
        return queries.reshape(len(class_images), len(self.classes), -1), seen, unseen

    def _reference_features(self):
        """The compared images' centred unit features, their centre, and the accuracy gaps.

        Read once per weights. Each class's picked images are run once: the
        compared ones are the first of them (equal counts from both sets),
        and the gaps read all of them.
        """
        if self._references is None:
            (seen_at, unseen_at), (x_train, x_heldout) = self._gap_indices, self._gap_data
            seen, unseen, gaps = {}, {}, []
            for c in self.classes:
                count = len(self.seen[c])
                seen_features, seen_first = self._raw_outputs(np.asarray(x_train[seen_at[c]], "float32"))
                unseen_features, unseen_first = self._raw_outputs(self._match(x_heldout[unseen_at[c]]))
                seen[c], unseen[c] = seen_features[:count], unseen_features[:count]
                gaps.append(np.mean(seen_first == c) - np.mean(unseen_first == c))
            # Features are compared after the mean of the reference images is
            # taken away: ReLU features are all positive, and their raw cosines
            # all near 1 (0.99 between any two class images on the shapes CNN).
            centre = np.concatenate([*seen.values(), *unseen.values()]).mean(axis=0)
            self._references = (
                {c: _unit_rows(f - centre) for c, f in seen.items()},
                {c: _unit_rows(f - centre) for c, f in unseen.items()},
                centre,
                np.asarray(gaps, "float64"),
            )
        return self._references

    def accuracy_gaps(self) -> np.ndarray:
        """Each class's accuracy on its training images minus on its held-out images.

        Read on up to `per_class` different images of the class from each
        set (all of them, not equal counts), the held-out images with their
        colours matched as the scores read them, so a global brightness or
        colour shift does not count. Keras logs this gap only over all
        classes together, where one memorised class among many hardly moves
        it.

        Returns:
            A float array `(len(classes),)`, each in [-1, 1].
        """
        return self._reference_features()[3].copy()

    def measure(self, class_images: np.ndarray) -> dict:
        """The scores of each class.

        Args:
            class_images: uint8 array `(seeds, len(classes), H, W, C)`: RGB
                0-255 class images, one per class from each seed.

        Returns:
            A dict: `"features"`, `"pixels"`, `"sameness"` and
            `"accuracy_gap"` (`accuracy_gaps()`), each a float array
            `(len(classes),)` (`sameness` is NaN with one seed).
        """
        class_images = np.asarray(class_images)
        seeds = len(class_images)
        features, seen, unseen = self._centred_features(class_images)
        pixels = _centred_pixels(class_images.reshape(-1, *class_images.shape[2:])).reshape(
            seeds, len(self.classes), -1
        )
        scores: dict[str, list] = {FEATURES: [], PIXELS: [], SAMENESS: []}
        for n, c in enumerate(self.classes):
            scores[FEATURES].append(nearest_gap(features[:, n], seen[c], unseen[c]).mean())
            scores[PIXELS].append(
                nearest_gap(
                    pixels[:, n],
                    _centred_pixels(displayable(self.seen[c])),
                    _centred_pixels(displayable(self.unseen[c])),
                ).mean()
            )
            similarity = features[:, n] @ features[:, n].T
            pairs = similarity[np.triu_indices(seeds, 1)]
            scores[SAMENESS].append(pairs.mean() if len(pairs) else np.nan)
        scores[ACCURACY_GAP] = list(self.accuracy_gaps())
        return {key: np.asarray(values, "float64") for key, values in scores.items()}

    def nearest(
        self,
        class_images: np.ndarray,
        labels: Sequence[str] | None = None,
        k: int = defaults.MEMORIZATION_NEAREST,
    ) -> NearestImages:
        """Each class's training and held-out images ranked by similarity to its class image.

        Args:
            class_images: uint8 array `(len(classes), H, W, C)`: one RGB
                0-255 class image per class.
            labels: Optional list of strings naming the classes. Defaults
                to `None` (`class_<c>`).
            k: Int, images shown per class (the nearest of the class's
                training and held-out images together). Defaults to
                `defaults.MEMORIZATION_NEAREST`.

        Returns:
            A `NearestImages`.
        """
        class_images = np.asarray(class_images)
        queries, seen, unseen = self._centred_features(class_images[None])
        sources, indices, similarities, images = [], [], [], []
        for n, c in enumerate(self.classes):
            values = np.concatenate([seen[c] @ queries[0, n], unseen[c] @ queries[0, n]])
            order = np.argsort(-values, kind="stable")[:k]
            count = len(seen[c])
            sources.append([TRAINING if i < count else HELDOUT for i in order])
            indices.append(
                np.array(
                    [self.seen_index[c][i] if i < count else self.unseen_index[c][i - count] for i in order]
                )
            )
            similarities.append(values[order])
            given = np.concatenate([self.seen[c], self.unseen_as_given[c]])
            images.append(displayable(given[order]))
        labels = labels or [f"class_{c}" for c in self.classes]
        counts = [len(seen[c]) for c in self.classes]
        return NearestImages(labels, class_images, sources, indices, similarities, images, counts)
