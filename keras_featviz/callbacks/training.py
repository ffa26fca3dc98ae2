"""`FeatureVisualizationCallback`: visualizations of a model while it trains.

Every few epochs the callback copies the current weights into a frozen probe
of the model, continues each target's generator from where the previous
epoch left it, and writes the images, a labelled grid and each target's
activation and probability to TensorBoard (and PNGs if asked). The model
under training is only read: its weights, optimizer, trainable flags and the
run's global random state are left exactly as they were.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_featviz import defaults
from keras_featviz.callbacks.periodic import PeriodicView
from keras_featviz.config import VisualizerConfig
from keras_featviz.devices import run_apart
from keras_featviz.io.results import write_atomically
from keras_featviz.io.tensorboard import TENSORBOARD_LAYOUT, log_visualization, unique_tags
from keras_featviz.objectives import Objective
from keras_featviz.validation import directory_path, positive_int, writable_directory
from keras_featviz.views.dataset_search import ExampleFinder
from keras_featviz.visualizer import FeatureVisualizer

EXAMPLES_DESCRIPTION = (
    "Seconds the dataset examples took this epoch; within `max_overhead` with the images' steps."
)
STEPS_DESCRIPTION = (
    "Optimisation steps each target ran this epoch: `steps`, or fewer (at least "
    f"{defaults.CALLBACK_MIN_STEPS}) where `max_overhead` cut them; on the last epoch, `steps` plus "
    "the steps cut before."
)


class FeatureVisualizationCallback(PeriodicView):
    """Log, epoch by epoch, the image each target of the model responds to most.

    Every `every_n_epochs` epochs, and at the end of training, the targets
    are visualized (Despraz et al.'s generator coupled to a frozen snapshot
    of the current weights) and written to TensorBoard at step = epoch, as
    `keras.callbacks.TensorBoard` writes its curves: one image per target
    under its label (the class name when `class_names` are given, else the
    objective's name, e.g. `class_3` or `conv2/channel_5`), a labelled grid
    of all targets under `grid`, and the scalars `activation/<label>`,
    `probability/<label>` (class targets: the softmax probability of the
    target class on its image), `success_rate` (share of class targets
    the model ranks first on their own image), `steps` and
    `visualization_seconds` (what each epoch's images took). No data is needed, so any
    `fit` input works. Pointed at the `log_dir` of a `TensorBoard` callback,
    it writes into its own run folder beside `train` and `validation`.

    Each epoch continues from the generator state the previous epoch
    reached (warm start; in scratch mode with its optimizer's moments when
    all targets train in one chunk, up to `batch_size`), so a few steps
    per epoch suffice; the coupled model is built and compiled once, in
    `on_train_begin`.

    Args:
        targets: The targets: `None` for every class, a class index, or a
            list of class indices and objectives from
            `keras_featviz.objectives` (channels, units, groups). Defaults
            to `None`.
        log_dir: Directory of the TensorBoard logs. Defaults to `"logs"`.
        run_name: The run folder inside `log_dir`. Defaults to `"featviz"`.
        steps: Int, the most optimisation steps per target each time the
            targets are visualized; each time continues from the last
            (warm start). Defaults to `defaults.CALLBACK_STEPS` (10).
        max_overhead: Float > 0 or `None`. Each visualization may take at
            most this fraction of the training time since the previous
            one: its steps are cut to fit (never below
            `defaults.CALLBACK_MIN_STEPS`, 3, nor above `steps`), timed on
            the previous visualization. The first one runs `steps`, and
            the last epoch's runs `steps` plus every step cut before (at
            most 10 times `steps`): its images, the ones you keep, have
            had the optimisation they would have had without the budget.
            On a short epoch this keeps the callback a small part of
            training; on a long one every visualization runs `steps`.
            `None` always runs `steps`, for the same images on any
            machine. Defaults to `defaults.MAX_OVERHEAD` (0.1).
        every_n_epochs: Int, visualize every this many epochs (and after
            the last). Defaults to `1`.
        image_dir: Optional directory; if given, PNGs and the grid are also
            written there, in `epoch_001/`, `epoch_002/`, ... (numbered from
            1, as Keras' progress bar and `ModelCheckpoint` count).
            Defaults to `None`.
        examples: Optional data to find dataset examples in each time: an
            array, `(x, y)`, `tf.data.Dataset` or `keras.utils.PyDataset` of
            images as the model takes them (as `fit` gets them, whatever
            `preprocess` says; a few hundred validation images keep it
            cheap). Each target then also gets
            the image `examples/<label>`: its synthesized image, then the
            `examples_k` images of the data it responds to most now (and
            `examples.png` of all targets in `image_dir`).
            Defaults to `None`.
        examples_k: Int, dataset examples per target. Defaults to
            `defaults.EXAMPLES_K`.
        verbose: 0 or 1; 1 prints one line per visualized epoch. Defaults
            to `0`.
        config: A `VisualizerConfig`, or `None`. Defaults to `None`.
        **options: Visualizer options in place of `config`'s, by name: any
            field of `VisualizerConfig` (`class_names`, `preprocess`,
            `generator`, `decoder`, `seed`, `width`, `transforms`, ...).
            Where neither names one, the callback's defaults apply
            (`VisualizerConfig.for_callback`): the scratch generator, seed
            `defaults.CALLBACK_SEED` (0) and, for the scratch generator,
            width `defaults.CALLBACK_WIDTH` (0.25; the paper's `1.0` costs
            about 16 times more per step): watching should cost a fraction
            of an epoch, and the warm start makes up for the narrower
            generator over the epochs.

    Example:

    ```python
    model.fit(
        x, y, epochs=20,
        callbacks=[
            keras.callbacks.TensorBoard("logs"),
            keras_featviz.callbacks.FeatureVisualizationCallback(
                log_dir="logs", class_names=names, preprocess="unit"),
        ],
    )
    # tensorboard --logdir logs
    ```

    Raises:
        ValueError: in `__init__` for a bad `steps`, `max_overhead`,
            `every_n_epochs`, `log_dir`, `run_name` or `image_dir`; in
            `on_train_begin`, before the first epoch, for a bad target
            (class, layer, channel or unit out of range), a generator that
            does not fit the model input, a bad decoder, `examples` whose
            images do not fit the model, or a log directory that cannot be
            written.
    """

    name = "images"
    key = "visualization"
    skips_epochs = False
    failure_note = " and the next ones start afresh"

    def __init__(
        self,
        targets: int | Objective | Sequence[int | Objective] | None = None,
        log_dir: str | os.PathLike = "logs",
        run_name: str = "featviz",
        *,
        steps: int = defaults.CALLBACK_STEPS,
        max_overhead: float | None = defaults.MAX_OVERHEAD,
        every_n_epochs: int = defaults.EVERY_N_EPOCHS,
        image_dir: str | os.PathLike | None = None,
        examples: Any = None,
        examples_k: int = defaults.EXAMPLES_K,
        verbose: int = 0,
        config: VisualizerConfig | None = None,
        **options,
    ) -> None:
        super().__init__(log_dir, run_name, every_n_epochs, max_overhead)
        self.config = VisualizerConfig.for_callback(config, **options)
        self.targets = targets
        self.steps = positive_int(steps, "steps")
        self.image_dir = directory_path(image_dir, "image_dir", optional=True)
        self.examples = examples
        self.examples_k = positive_int(examples_k, "examples_k")
        self.verbose = verbose
        self.visualizer = None
        self.finder = None
        self._visualized_model = None

    # -- PeriodicView -----------------------------------------------------------

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        if self.image_dir is not None:
            writable_directory(self.image_dir, "image_dir")
        self.steps_run: dict[int, int] = {}
        self._warned_cut = False
        self.last_result = None
        self._costs = None  # (seconds of one step, seconds besides the steps)

    def _prepare(self):
        """The visualizer for `self.model`, targets checked and compiled.

        A second `fit` of the same model keeps the visualizer, so its
        generators go on from where the first run left them.
        """
        if self.visualizer is None or self._visualized_model is not self.model:
            self.visualizer = FeatureVisualizer(self.model, config=self.config)
            self._visualized_model = self.model
            self.finder = None
        targets = self.targets
        if targets is None:
            targets = range(self.visualizer.probe.num_classes)
        self.objectives = self.visualizer.prepare(targets)
        self.tags = unique_tags([self.visualizer.label(o) for o in self.objectives])
        if self.examples is not None and self.finder is None:
            # The data is what `fit` takes: the model's own input, so no
            # `preprocess` (that maps generated pixels for the model).
            self.finder = ExampleFinder(
                self.model,
                self.objectives,
                k=self.examples_k,
                class_names=self.visualizer.class_names,
                input_shape=self.visualizer.image_shape,
            )
        if self.finder is not None:
            self.finder.check(self.examples)

    def _view(self, epoch):
        started = time.perf_counter()
        steps = self._steps_now(epoch)
        result = self._optimised(steps)
        self._write(result, epoch)
        seconds = time.perf_counter() - started
        self.steps_run[epoch] = steps
        self.writer.scalar("steps", steps, step=epoch, description=STEPS_DESCRIPTION)
        if steps < self.steps:
            self._warn_cut(epoch, steps)
        step_s = self.visualizer.last_step_seconds
        # The first visualization also traces and compiles: its time
        # besides the steps says nothing of the next ones.
        other_s = 0.0 if self._costs is None else max(0.0, seconds - steps * step_s)
        self._costs = (step_s, other_s)
        self.last_result = result
        if self.verbose:
            rate = result.success_rate
            ranked = "" if np.isnan(rate) else f", {rate:.0%} ranked first"
            print(
                f"FeatureVisualizationCallback: epoch {epoch + 1}: "
                f"{len(result)} targets, {steps} steps, in {seconds:.1f} s{ranked}"
            )

    def _failed(self):
        # A half-made warm state is not continued.
        self.visualizer.forget()

    # -- the work -------------------------------------------------------------

    def _steps_now(self, epoch):
        """`steps`, or fewer to stay within `max_overhead` of the training time
        (never below `defaults.CALLBACK_MIN_STEPS`); on the last epoch, `steps`
        plus the steps cut before (see `defaults.CALLBACK_CATCH_UP`)."""
        if self.max_overhead is None or self._costs is None:
            return self.steps
        if epoch + 1 == self.params.get("epochs"):
            owed = sum(self.steps - steps for steps in self.steps_run.values())
            return int(min(self.steps + owed, defaults.CALLBACK_CATCH_UP * self.steps))
        step_s, other_s = self._costs
        budget = self.max_overhead * self._training_seconds - other_s
        floor = min(self.steps, defaults.CALLBACK_MIN_STEPS)
        return int(min(self.steps, max(floor, budget // max(step_s, 1e-9))))

    def _optimised(self, steps):
        self.visualizer.sync_weights()
        return self.visualizer.visualize(self.objectives, steps=steps, verbose=0, warm_start=True)

    def _warn_cut(self, epoch, steps):
        if self._warned_cut:
            return
        self._warned_cut = True
        warnings.warn(
            f"FeatureVisualizationCallback: epoch {epoch + 1} ran {steps} of the {self.steps} steps "
            f"asked for each of {len(self.objectives)} targets, to keep the visualization within "
            f"max_overhead={self.max_overhead:g} of the training time; its images may change little "
            "from epoch to epoch. Pass max_overhead=None to run every step, a larger max_overhead, "
            "or fewer targets. (Warned once; the `steps` scalar logs the steps of every epoch.)",
            RuntimeWarning,
            stacklevel=2,
        )

    def _write(self, result, epoch):
        log_visualization(self.writer, result, epoch, self.tags)
        if self.finder is not None:
            try:
                self._write_examples(result, epoch)
            except Exception as error:  # the images are written; the examples alone are lost
                warnings.warn(
                    f"FeatureVisualizationCallback: the dataset examples of epoch {epoch + 1} "
                    f"failed and are skipped; training goes on. ({type(error).__name__}: {error})",
                    RuntimeWarning,
                    stacklevel=2,
                )
        if self.image_dir is not None:
            result.save(os.path.join(self.image_dir, f"epoch_{epoch + 1:03d}"))

    def _found(self):
        self.finder.sync_weights()
        return self.finder.find(self.examples)

    def _write_examples(self, result, epoch):
        """`examples/<tag>`: each target's synthesized image, then its dataset examples."""
        started = time.perf_counter()
        found = run_apart(self._found)
        for t, tag in enumerate(self.tags):
            sheet = found.sheet([t], synthesized=result.images, **TENSORBOARD_LAYOUT)
            self.writer.images(f"examples/{tag}", np.asarray(sheet)[None], step=epoch)
        self.writer.scalar(
            "examples_seconds", time.perf_counter() - started, step=epoch, description=EXAMPLES_DESCRIPTION
        )
        self.writer.flush()
        if self.image_dir is not None:
            sheet = found.sheet(synthesized=result.images)
            path = os.path.join(self.image_dir, f"epoch_{epoch + 1:03d}", "examples.png")
            write_atomically(path, lambda temporary: sheet.save(temporary, format="PNG"))
        self.last_examples = found
