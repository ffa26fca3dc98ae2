"""`MemorizationCallback`: an overfitting signal from the class images, epoch by epoch.

Every few epochs the callback visualizes each class from several seeds
(warm-started from the last epoch) and scores, with
`keras_featviz.views.memorization.MemorizationMeter`, how much more the class
images resemble the model's training images than held-out images of the
same class, and how alike the seeds' images are. The scores are TensorBoard
scalars; beside them, each class image is shown with the training and
held-out images nearest to it, and the shift between the training and
held-out images is logged apart from the scores. The model under training
is only read.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

import numpy as np

from keras_featviz import defaults
from keras_featviz.callbacks.periodic import PeriodicView
from keras_featviz.config import VisualizerConfig
from keras_featviz.io.tensorboard import TENSORBOARD_LAYOUT, unique_tags
from keras_featviz.validation import MAX_SEED, positive_int
from keras_featviz.views import memorization as scores_module
from keras_featviz.visualizer import FeatureVisualizer

DESCRIPTIONS = {
    scores_module.FEATURES: (
        "Nearest-training minus nearest-held-out cosine similarity of the class image, in the "
        "model's penultimate features: near 0 when seen and unseen images are alike to the model, "
        "positive when the class image is closer to what it trained on."
    ),
    scores_module.PIXELS: "The same in mean-centred pixels.",
    scores_module.ACCURACY_GAP: (
        "Per class, the accuracy on its training images minus on its held-out images (up to "
        "per_class of each, held-out colours matched). Keras logs only the gap over all classes, "
        "where one memorised class among many hardly moves it."
    ),
    "input_shift": "How surely the held-out images differ from the training images (a permutation "
    "z-score of their MMD): within about +-2 they are alike; a shift, not memorisation.",
    "residual_shift": "The same after the held-out images' colour statistics are matched to the "
    "training images' (as the scores compare them): what the scores cannot tell from memorisation.",
}


class MemorizationCallback(PeriodicView):
    """Log, per class and epoch, whether the class images look memorised.

    Scalars, at step = epoch: `memorization/features/<class>`,
    `memorization/pixels/<class>` and `memorization/accuracy_gap/<class>`
    (training minus held-out accuracy of that class: one memorised class
    stands out here, where the overall gap Keras logs hardly moves), and
    their means over the classes, `memorization/features`,
    `memorization/pixels` and `memorization/accuracy_gap` (see
    `keras_featviz.views.memorization` for what they measure and what they do
    not prove); `memorization/input_shift` and
    `memorization/residual_shift`, how much the held-out images differ from
    the training images before and after their colours are matched (the
    scores compare the matched images, so a brightness or colour shift is
    not read as memorisation); and `memorization_seconds`.

    Images, at step = epoch: `nearest/<class>`, the first seed's class
    image beside the `nearest` images nearest to it among its class's
    training and held-out images, each captioned with where it comes from,
    its index in `train` or `heldout`, and its similarity. The last of
    them are kept in `last_nearest` (a `NearestImages`; its `save(folder)`
    writes PNG sheets).

    Args:
        train: `(x, y)` arrays: training images (as `fit` gets them) and
            their classes; `per_class` of each class are used.
        heldout: `(x, y)` arrays of images of the same classes the model
            does not train on (validation data).
        targets: Class indices or names to score; `None` for every class.
            Defaults to `None`.
        seeds: Int, class images per class, each from its own seed; the
            scores are their mean. Defaults to
            `defaults.MEMORIZATION_SEEDS`.
        per_class: Int, images of each class taken from each set.
            Defaults to `defaults.MEMORIZATION_PER_CLASS`.
        nearest: Int, images shown beside each class image. Defaults to
            `defaults.MEMORIZATION_NEAREST`.
        log_dir: Directory of the TensorBoard logs. Defaults to `"logs"`.
        run_name: The run folder inside `log_dir`. Defaults to
            `"memorization"`.
        steps: Int, optimisation steps per class image each time, each time
            going on from the last. Defaults to `defaults.CALLBACK_STEPS`.
        every_n_epochs: Int. Defaults to `1`.
        max_overhead: As in `AttributionCallback`. Defaults to
            `defaults.MAX_OVERHEAD`.
        config: A `VisualizerConfig`, or `None`. Defaults to `None`.
        **options: Visualizer options in place of `config`'s, by name (any
            field of `VisualizerConfig`: `class_names`, `preprocess`,
            `generator`, ...), with the callbacks' defaults where neither
            names one, as in `FeatureVisualizationCallback`. `seed` is the
            first seed (an int; the others follow it).

    Example:

    ```python
    model.fit(x, y, epochs=30, validation_data=(x_val, y_val), callbacks=[
        keras.callbacks.TensorBoard("logs"),
        MemorizationCallback((x, y), (x_val, y_val), log_dir="logs", preprocess="unit"),
    ])
    ```

    Raises:
        ValueError: in `__init__` for a bad number or argument; in
            `on_train_begin`, before the first epoch, for a target that is
            not a class, or a class without images in either set.
    """

    name = "memorisation scores"
    key = "memorization"

    def __init__(
        self,
        train: tuple[np.ndarray, np.ndarray],
        heldout: tuple[np.ndarray, np.ndarray],
        targets: Sequence[int | str] | None = None,
        seeds: int = defaults.MEMORIZATION_SEEDS,
        per_class: int = defaults.MEMORIZATION_PER_CLASS,
        nearest: int = defaults.MEMORIZATION_NEAREST,
        log_dir: str | os.PathLike = "logs",
        run_name: str = "memorization",
        *,
        steps: int = defaults.CALLBACK_STEPS,
        every_n_epochs: int = defaults.EVERY_N_EPOCHS,
        max_overhead: float | None = defaults.MAX_OVERHEAD,
        config: VisualizerConfig | None = None,
        **options,
    ) -> None:
        super().__init__(log_dir, run_name, every_n_epochs, max_overhead)
        self.train = _pair(train, "train")
        self.heldout = _pair(heldout, "heldout")
        self.targets = targets
        self.seeds = positive_int(seeds, "seeds")
        self.per_class = positive_int(per_class, "per_class")
        self.nearest = positive_int(nearest, "nearest")
        self.steps = positive_int(steps, "steps")
        self.config = VisualizerConfig.for_callback(config, **options)
        seed = self.config.seed
        if seed is None:
            raise ValueError("`seed` must be an integer: the seeds follow it. Received: seed=None")
        # The seeds are seed, seed + 1, ...: each must be a valid seed itself,
        # not one wrapped or clipped to a seed the user never named.
        if seed + self.seeds - 1 > MAX_SEED:
            raise ValueError(
                f"`seed + seeds - 1` must be at most {MAX_SEED}: the seeds are seed, seed + 1, ... "
                f"Received: seed={seed}, seeds={self.seeds}"
            )
        self.history: dict[int, dict] = {}
        self.last_nearest = None

    def _prepare(self):
        self.visualizers = [
            FeatureVisualizer(self.model, config=self.config.replace(seed=self.config.seed + n))
            for n in range(self.seeds)
        ]
        first = self.visualizers[0]
        targets = range(first.probe.num_classes) if self.targets is None else self.targets
        # Every seed's visualizer is built and compiled now, not in the first epoch.
        self.objectives = [visualizer.prepare(targets) for visualizer in self.visualizers][0]
        not_classes = [o.name for o in self.objectives if o.target_class is None]
        if not_classes:
            raise ValueError(
                "MemorizationCallback scores classes only (it compares class images with images of "
                f"that class). Received: targets {not_classes}"
            )
        self.classes = [o.target_class for o in self.objectives]
        self.tags = unique_tags([first.label(o) for o in self.objectives])
        self.meter = scores_module.MemorizationMeter(
            self.model,
            self.train,
            self.heldout,
            self.classes,
            per_class=self.per_class,
            preprocess=self.config.preprocess,
            input_shape=first.image_shape,
        )
        if self.meter.residual_shift > defaults.SHIFT_SHOWN:
            warnings.warn(
                "The held-out images differ from the training images even after their colours are "
                f"matched (shift z-score {self.meter.residual_shift:.1f}, above {defaults.SHIFT_SHOWN}): "
                "the memorisation scores may show this shift rather than memorisation.",
                stacklevel=2,
            )
        self.history = {}
        self.last_nearest = None

    def _view(self, epoch):
        images = []
        for visualizer in self.visualizers:
            visualizer.sync_weights()
            images.append(
                visualizer.visualize(self.objectives, steps=self.steps, verbose=0, warm_start=True).images
            )
        self.meter.sync_weights()
        scores = self.meter.measure(np.stack(images))
        nearest = self.meter.nearest(images[0], self.tags, k=self.nearest)
        self.history[epoch] = scores
        self.last_nearest = nearest
        # `sameness` stays in `history` but is not logged: on the regimes of
        # benchmarks/memorization.py it did not tell memorising from
        # generalising models (0.94-0.99 against 0.86-0.99).
        for kind in (scores_module.FEATURES, scores_module.PIXELS, scores_module.ACCURACY_GAP):
            self._scalars(f"memorization/{kind}", scores[kind], epoch, DESCRIPTIONS[kind])
        for kind in ("input_shift", "residual_shift"):
            value = getattr(self.meter, kind)
            self.writer.scalar(f"memorization/{kind}", value, step=epoch, description=DESCRIPTIONS[kind])
        for n, tag in enumerate(self.tags):
            sheet = np.asarray(nearest.sheet([n], **TENSORBOARD_LAYOUT))
            self.writer.images(f"nearest/{tag}", sheet[None], step=epoch, description=nearest.description(n))

    def _scalars(self, prefix, values, epoch, description):
        """The mean of the finite `values` at `prefix`, and each at `prefix/<class>`."""
        finite = values[np.isfinite(values)]
        if not len(finite):
            return
        self.writer.scalar(prefix, finite.mean(), step=epoch, description=description)
        for tag, value in zip(self.tags, values):
            if np.isfinite(value):
                self.writer.scalar(f"{prefix}/{tag}", value, step=epoch)


def _pair(data, name):
    """`(x, y)` arrays, copied no further than needed."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(
            f"`{name}` must be a pair of arrays (x, y). Received: {name} of type {type(data).__name__}"
        )
    x, y = np.asarray(data[0]), np.asarray(data[1])
    if len(x) != len(y):
        raise ValueError(
            f"`{name}` must hold as many labels as images. Received: {len(x)} images and {len(y)} labels"
        )
    return x, y
