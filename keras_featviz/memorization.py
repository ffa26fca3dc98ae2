"""Memorisation: do the class images resemble the training images more than unseen ones?

A classifier that memorises a few training images makes class images that
sit closer to those images than to other images of the same class (seed 000:
class visualizations of an overfit model become near-copies or mixtures of
training images). `MemorizationMeter` measures it per class:

- `features`: in the classifier's own penultimate feature space (centred
  on the mean of the compared images), the cosine similarity of the class image to its nearest training image of that
  class, minus its similarity to the nearest held-out image of that class
  (equal numbers of each). Near 0 when the model treats seen and unseen
  images alike; positive when the class image is closer to what it saw.
- `pixels`: the same with mean-centred pixels.
- `sameness`: the mean cosine similarity, in feature space, of the class
  images made from different seeds: near 1 when every start converges to
  one image.

None of these proves memorisation, or its absence, on its own: a
difference can come from a held-out set unlike the training set, and a
class with one canonical look makes alike images from any start. They are
signals to read beside the validation loss.
"""

import keras
import numpy as np

from keras_featviz import preprocessing
from keras_featviz.sheets import displayable
from keras_featviz.surgery import ClassifierProbe

FEATURES = "features"
PIXELS = "pixels"
SAMENESS = "sameness"


def _unit_rows(matrix):
    matrix = np.asarray(matrix, "float64").reshape(len(matrix), -1)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def _centred_pixels(images):
    images = np.asarray(images, "float64").reshape(len(images), -1)
    return _unit_rows(images - images.mean(axis=1, keepdims=True))


def nearest_gap(queries, seen, unseen):
    """Per query row: max cosine similarity to `seen` minus max to `unseen` (unit rows)."""
    return (queries @ seen.T).max(axis=1) - (queries @ unseen.T).max(axis=1)


def balanced(x, y, classes, per_class):
    """Up to `per_class` images of each class of `classes`, in data order: `{class: images}`."""
    y = np.asarray(y).reshape(len(y), -1)
    labels = np.argmax(y, axis=1) if y.shape[1] > 1 else y[:, 0].astype("int64")
    return {c: np.asarray(x[labels == c][:per_class], "float32") for c in classes}


class MemorizationMeter:
    """Scores how much each class image resembles seen rather than unseen images.

    Args:
        classifier: The Keras classifier (only read; a frozen copy is used).
        train: `(x, y)` arrays of training images (as the model takes them)
            and their classes (integers or one-hot).
        heldout: `(x, y)` arrays of images the model did not train on.
        classes: List of class indices to score.
        per_class: Int, images of each class from each set; both sets use
            the same number, the smaller of theirs, so neither is favoured
            by its size. Defaults to `50`.
        preprocess: What maps the class images' RGB 0-255 pixels for the
            model (as in `FeatureVisualizer`). Defaults to `None`.
        head: As in `FeatureVisualizer`. Defaults to `"auto"`.
        input_shape: As in `FeatureVisualizer`. Defaults to `None`.

    Raises:
        ValueError: if a class has no image in `train` or in `heldout`, or
            the classifier has no penultimate features.
    """

    def __init__(
        self,
        classifier,
        train,
        heldout,
        classes,
        per_class=50,
        preprocess=None,
        head="auto",
        input_shape=None,
    ):
        self.probe = ClassifierProbe(classifier, head=head, input_shape=input_shape, features=True)
        self.classes = list(classes)
        seen = balanced(*train, self.classes, per_class)
        unseen = balanced(*heldout, self.classes, per_class)
        for c in self.classes:
            count = min(len(seen[c]), len(unseen[c]))
            if not count:
                raise ValueError(
                    "Every scored class needs images in both the training and the held-out data. "
                    f"Received: {len(seen[c])} training and {len(unseen[c])} held-out images of class {c}"
                )
            seen[c], unseen[c] = seen[c][:count], unseen[c][:count]
        self.seen, self.unseen = seen, unseen
        self._preprocess = preprocessing.get(preprocess, self.probe.input_shape[-1])

    def sync_weights(self):
        """Copy the classifier's current weights into the frozen copy."""
        self.probe.sync_weights()

    def _raw_features(self, images):
        return keras.ops.convert_to_numpy(self.probe.model.predict_on_batch(images)["features"])

    def measure(self, class_images):
        """The three scores of each class.

        Args:
            class_images: uint8 array `(seeds, len(classes), H, W, C)`: RGB
                0-255 class images, one per class from each seed.

        Returns:
            A dict: `"features"`, `"pixels"` and `"sameness"`, each a float
            array `(len(classes),)` (`sameness` is NaN with one seed).
        """
        class_images = np.asarray(class_images)
        seeds = len(class_images)
        flat = class_images.reshape(-1, *class_images.shape[2:]).astype("float32")
        model_input = keras.ops.convert_to_numpy(self._preprocess(keras.ops.convert_to_tensor(flat)))
        # Features are compared after the mean of the reference images is
        # taken away: ReLU features are all positive, and their raw cosines
        # all near 1 (0.99 between any two class images on the shapes CNN).
        seen = {c: self._raw_features(self.seen[c]) for c in self.classes}
        unseen = {c: self._raw_features(self.unseen[c]) for c in self.classes}
        centre = np.concatenate([*seen.values(), *unseen.values()]).mean(axis=0)
        features = _unit_rows(self._raw_features(model_input) - centre).reshape(seeds, len(self.classes), -1)
        pixels = _centred_pixels(class_images.reshape(-1, *class_images.shape[2:])).reshape(
            seeds, len(self.classes), -1
        )
        scores = {FEATURES: [], PIXELS: [], SAMENESS: []}
        for n, c in enumerate(self.classes):
            scores[FEATURES].append(
                nearest_gap(
                    features[:, n], _unit_rows(seen[c] - centre), _unit_rows(unseen[c] - centre)
                ).mean()
            )
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
        return {key: np.asarray(values, "float64") for key, values in scores.items()}
