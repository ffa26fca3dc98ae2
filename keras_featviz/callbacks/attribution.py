"""`AttributionCallback`: where the model looks in fixed validation images, epoch by epoch.

Every few epochs the callback copies the current weights into a frozen copy
of the model, computes attribution maps (`keras_featviz.views.attribution`) of the
same images, and writes one TensorBoard image per validation image: the
image, then each method's heat map over it, titled with the class the map
explains and its probability. The model under training is only read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from keras_featviz import defaults
from keras_featviz.callbacks.periodic import PeriodicView
from keras_featviz.config import VisualizerConfig
from keras_featviz.io.results import file_stem
from keras_featviz.io.tensorboard import TENSORBOARD_LAYOUT, unique_tags
from keras_featviz.views.attribution import Attributor, check_methods


class AttributionCallback(PeriodicView):
    """Log attribution maps of fixed images to TensorBoard while the model trains.

    At step = epoch, each image gets one TensorBoard image under
    `attribution/<NN>_<label>` (its position and its true class when
    `labels` are given): the image, then one heat map per method over it.
    Its title says the class the maps explain (by default the one the model
    ranks first now) and that class's probability; the probability is also
    the scalar `attribution_probability/<NN>_<label>`. The title, not the
    tag, carries the class and probability, since they change from epoch
    to epoch and TensorBoard's step slider follows one tag. The callback
    also logs `attribution_seconds`.

    Args:
        images: Array `(N, H, W, C)`, a fixed handful of validation images
            (8 or so): as the model takes them, or RGB 0-255 pixels with
            `preprocess`.
        labels: Optional `N` true class indices, named in the tags.
            Defaults to `None`.
        methods: A name or list of names of `keras_featviz.views.attribution.METHODS`.
            Defaults to `defaults.CALLBACK_ATTRIBUTION_METHODS`.
        targets: What the maps explain: `None` (the class ranked first
            each epoch), a target for all images or one per image (class
            index, class name or objective). Defaults to `None`.
        log_dir: Directory of the TensorBoard logs. Defaults to `"logs"`.
        run_name: The run folder inside `log_dir`. Defaults to
            `"attribution"`.
        class_names: Optional list naming every class. Defaults to `None`.
        preprocess: As in `Attributor`. Defaults to `None`.
        every_n_epochs: Int, every this many epochs (and after the last).
            Defaults to `1`.
        max_overhead: Float > 0 or `None`: when the maps took more than
            this fraction of the training time since they were last made,
            epochs are skipped until training has caught up (warned once);
            `None` makes them every time. Defaults to
            `defaults.MAX_OVERHEAD`.
        config: A `VisualizerConfig` shared with the other callbacks, or
            `None`: its `preprocess`, `class_names`, `head` and
            `input_shape` (what describes the model) are used where the
            arguments here name none. Defaults to `None`.
        **attributor_kwargs: Further `Attributor` arguments (`layer`,
            `samples`, `noise`, `steps`, `baseline`, `patch`, `seed`,
            `batch_size`, `head`, `input_shape`).

    Attributes:
        logged_epochs: Epochs whose maps were written (0-based).
        over_budget_epochs: Epochs skipped to stay within `max_overhead`
            (the last epoch is always written).
        skipped_epochs: Epochs whose maps failed (a warning said why).
        last_result: The last `Attribution`.

    Example:

    ```python
    model.fit(x, y, epochs=10, validation_data=(x_val, y_val), callbacks=[
        keras.callbacks.TensorBoard("logs"),
        keras_featviz.callbacks.AttributionCallback(
            x_val[:8], y_val[:8], methods=["saliency", "grad_cam"], log_dir="logs"),
    ])
    ```

    Raises:
        ValueError: in `__init__` for a bad method, `every_n_epochs`,
            `max_overhead`, `log_dir` or labels; in `on_train_begin`, before
            the first epoch, for images that do not fit the model or a bad
            target.
    """

    name = "attribution maps"
    key = "attribution"

    def __init__(
        self,
        images: np.ndarray,
        labels: Sequence[int] | None = None,
        methods: str | Sequence[str] = defaults.CALLBACK_ATTRIBUTION_METHODS,
        targets: Any = None,
        log_dir: str | os.PathLike = "logs",
        run_name: str = "attribution",
        class_names: Sequence[str] | None = None,
        preprocess: str | Callable | None = None,
        every_n_epochs: int = defaults.EVERY_N_EPOCHS,
        max_overhead: float | None = defaults.MAX_OVERHEAD,
        config: VisualizerConfig | None = None,
        **attributor_kwargs,
    ) -> None:
        super().__init__(log_dir, run_name, every_n_epochs, max_overhead)
        self.images = np.array(images, "float32")  # a copy: the user's array is not kept
        if labels is not None:
            labels = [int(k) for k in np.asarray(labels).reshape(-1)]
            if len(labels) != len(self.images):
                raise ValueError(
                    f"`labels` must give one class per image. Received: {len(labels)} labels "
                    f"for {len(self.images)} images"
                )
        self.labels = labels
        self.methods = check_methods(methods)
        self.targets = targets
        config = VisualizerConfig.from_options(config)
        self.class_names = config.class_names if class_names is None else class_names
        self.preprocess = config.preprocess if preprocess is None else preprocess
        attributor_kwargs.setdefault("head", config.head)
        attributor_kwargs.setdefault("input_shape", config.input_shape)
        self.attributor_kwargs = attributor_kwargs
        self.attributor = None
        self.last_result = None
        self._attributed_model = None

    def _prepare(self):
        if self.attributor is None or self._attributed_model is not self.model:
            self.attributor = Attributor(
                self.model,
                preprocess=self.preprocess,
                class_names=self.class_names,
                **self.attributor_kwargs,
            )
            self._attributed_model = self.model
        self.attributor.check_images(self.images)
        classes = self.attributor.num_classes
        wrong = [k for k in self.labels or [] if not 0 <= k < classes]
        if wrong:
            raise ValueError(
                f"`labels` must be class indices from 0 to {classes - 1}. Received: labels with {wrong[0]}"
            )
        # One image through every method: a bad target or layer fails now, not after an epoch.
        self.attributor.attribute(self.images[:1], self.methods, self._first_target())
        self.tags = unique_tags([self._tag(i) for i in range(len(self.images))])
        self.last_result = None

    def _first_target(self):
        if self.targets is None or isinstance(self.targets, (str, int)) or np.ndim(self.targets) == 0:
            return self.targets
        return list(self.targets)[:1]

    def _tag(self, i):
        if self.labels is None:
            return f"attribution/{i:02d}"
        return f"attribution/{i:02d}_{file_stem(self._class_name(self.labels[i]))}"

    def _class_name(self, k):
        return str(self.attributor.class_names[k]) if self.attributor.class_names else f"class_{k}"

    def _view(self, epoch):
        self.attributor.sync_weights()
        result = self.attributor.attribute(self.images, self.methods, self.targets)
        for i, tag in enumerate(self.tags):
            strip = np.asarray(result.sheet([i], **TENSORBOARD_LAYOUT))
            truth = "" if self.labels is None else f" (true: {self._class_name(self.labels[i])})"
            self.writer.images(
                tag, strip[None], step=epoch, description=f"Maps explain {result.title(i)}{truth}"
            )
            target = result.target_classes[i]
            if target >= 0 and np.isfinite(result.probabilities[i, target]):
                self.writer.scalar(
                    tag.replace("attribution/", "attribution_probability/", 1),
                    result.probabilities[i, target],
                    step=epoch,
                )
        self.last_result = result
