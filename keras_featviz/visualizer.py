"""The façade: `FeatureVisualizer` checks arguments, caches and returns results.

It takes the user's classifier and builds, once each, what the other
modules provide: a frozen `ClassifierProbe` per set of tapped layers
(`surgery`), a `GeneratorSource` for the generator choice
(`generator_source`), one compiled `ChunkTrainer` per readout layout and
chunk size (`loop`), and the kept `WarmStates` of warm-started targets.
`visualize` cuts the targets into chunks that fit the memory budget, runs
each chunk and gathers a `Visualization`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import keras
import numpy as np

from keras_featviz import defaults, preprocessing
from keras_featviz import devices as devices_module
from keras_featviz import objectives as obj
from keras_featviz.config import VisualizerConfig
from keras_featviz.io import imagenet
from keras_featviz.io.results import Visualization
from keras_featviz.makers import costs
from keras_featviz.makers.generator_source import GeneratorSource, resolve_generator
from keras_featviz.objectives import Objective
from keras_featviz.optimization import memory
from keras_featviz.optimization import transforms as transforms_module
from keras_featviz.optimization.coupled import CoupledModel, ReadoutPlan
from keras_featviz.optimization.loop import ChunkTrainer, WarmStates
from keras_featviz.optimization.optimizers import make_optimizer
from keras_featviz.surgery import ClassifierProbe, has_feature_batch_norm, image_input_shape
from keras_featviz.validation import positive_int, verbosity

# What `visualize` takes for one target: a class index or an objective.
Target = int | Objective


# The options only the scratch generator reads (`VisualizerConfig`).
SCRATCH_ONLY = ("width", "downsample", "colors", "pyramid")


def default_penalty(num_classes: int) -> float:
    """Eq. 2's lambda by default: `min(1, 10 / num_classes)`.

    The paper's code used 0.01 for VGG16's 1,000 classes: a total weight of
    about 10 on the other classes. Keeping that total while capping each
    class at the target's own weight gives 0.01 at 1,000 classes, 0.1 at
    100 and 1 for 10 classes or fewer.
    """
    return min(1.0, 10.0 / max(num_classes, 1))


def _time_left(began: float, done: int, total: int) -> str:
    """`", about 12 min left"` at the pace of the targets done so far (none before the first)."""
    if not done:
        return ""
    seconds = (time.perf_counter() - began) / done * (total - done)
    return f", about {seconds / 60:.0f} min left" if seconds >= 90 else f", about {seconds:.0f} s left"


class FeatureVisualizer:
    """Images that a Keras classifier responds to most, made by a generator.

    A generator network is coupled to a frozen copy of the classifier whose
    softmax is replaced by ReLU, and trained by backpropagation to maximise
    each target (Despraz et al., Eq. 2): a class, several classes, a channel
    or unit of a hidden layer, or any weighted sum of those.

    Args:
        classifier: A Sequential or functional `keras.Model` with one image
            input `(h, w, c)` and one class output; never modified.
        generator: How the image is made (`VisualizerConfig.generator`):
            `"auto"`, `"scratch"`, `"pretrained"`, `"pixels"`,
            `"fourier"`, `"fourier_phase"` or a `keras.Model`; `None` for
            the one `config` holds. Defaults to `None`.
        config: A `VisualizerConfig` holding every option, or `None` for
            the defaults. Defaults to `None`.
        **options: Options in place of `config`'s, by name: any field of
            `VisualizerConfig` (`preprocess`, `seed`, `width`,
            `batch_size`, `transforms`, ...), documented there.

    Example:

    ```python
    visualizer = keras_featviz.FeatureVisualizer(model, preprocess="unit")
    result = visualizer.visualize([0, 1, 2], steps=200)
    result.save("featviz")
    ```

    Attributes:
        probe: The `ClassifierProbe` of the classifier's logits.
        source: The `GeneratorSource` that builds the generators.
        warm_states: The `WarmStates` kept by `visualize(warm_start=True)`.
        trainers: The compiled `ChunkTrainer`s built so far.
        transforms: The transforms in use, `"auto"` resolved (`"standard"`,
            `"none"` or a layer).
        statistics_weight: Float, the weight of the statistics prior in
            use, `"auto"` resolved (0 when it is off).
        last_step_seconds: Seconds one step of all the targets took in the
            last `visualize`, or `None` before the first.
        parallel: The `devices.TargetParallel` the targets are sharded
            with, or `None` on one device.

    Raises:
        ValueError: for an unknown generator mode, a bad penalty, width,
            noise, batch size, memory budget, precision or optimizer, a
            classifier that is not an image classifier, a generator whose
            output does not fit the classifier input, or a bad decoder.
        FileNotFoundError: for a missing decoder file.
    """

    def __init__(
        self,
        classifier: keras.Model,
        generator: str | keras.Model | None = None,
        config: VisualizerConfig | None = None,
        **options,
    ) -> None:
        if generator is not None:
            options["generator"] = generator
        self.config = config = VisualizerConfig.from_options(config, **options)
        precision, input_shape, head = config.precision, config.input_shape, config.head
        self.precision = precision
        self.parallel = devices_module.target_parallel(config.devices)
        image_shape = image_input_shape(classifier, input_shape)
        generator = resolve_generator(config.generator, image_shape)
        self.statistics_weight = self._statistics_weight(classifier, config, generator, image_shape)
        self.probe = self._base_probe(classifier, input_shape, head)
        self._head = head
        self.classifier = classifier
        self.image_shape = self.probe.input_shape
        penalty = config.penalty
        if penalty is None:
            penalty = default_penalty(self.probe.num_classes)
        self.penalty = penalty
        self.batch_size = config.batch_size
        self.memory_budget = config.memory_budget
        self.jit_compile = jit_compile = config.jit_compile
        self._optimizer = config.optimizer
        self.class_names = imagenet.resolve_names(config.class_names, self.probe.num_classes)
        self.paper_loss = config.paper_loss
        self.seed = seed = config.seed
        self._preprocess = preprocessing.get(config.preprocess, self.image_shape[-1])
        self._large = min(self.image_shape[:2]) >= defaults.LARGE_IMAGE_SIDE
        transforms, colors, pyramid, width = self._resolved(config, generator)
        self.transforms = transforms
        transforms_module.get(transforms)  # checked now, built per compiled model
        self.source = GeneratorSource(
            generator,
            self.image_shape,
            decoder=config.decoder,
            width=width,
            noise=config.noise,
            seed=seed,
            precision=precision,
            # XLA runs sliced patches faster than its depthwise convolution.
            patches="slices" if jit_compile is True else "auto",
            downsample=config.downsample,
            colors=colors,
            pyramid=pyramid,
        )
        if not self.source.batched and self.parallel is not None:
            # One target at a time: nothing to cut, and one device for all.
            self.parallel = None
            self.probe = self._base_probe(classifier, input_shape, head)
        self.warm_states = WarmStates()
        self.last_step_seconds: float | None = None
        self._probes = {(): self.probe}
        self._trainers: dict[tuple, ChunkTrainer] = {}
        self._fitting: dict[tuple, object] = {}

    def _resolved(self, config, generator):
        """`transforms`, `colors`, `pyramid` and `width`, each `"auto"`
        resolved for the classifier's image size (see `VisualizerConfig`)."""
        large = self._large
        transforms, colors, pyramid, width = config.transforms, config.colors, config.pyramid, config.width
        transforms = transforms_module.resolve(transforms, self.image_shape, generator)
        if colors == "auto":
            colors = "decorrelated" if large else "rgb"
        if pyramid == "auto":
            pyramid = large
        self._warn_scratch_only(config, generator)
        if width == "auto":
            # Sizing builds a few candidate networks: only for the scratch generator.
            sized = large and isinstance(generator, str) and generator == "scratch"
            width = (
                costs.sized_width(self.image_shape, self.probe.model, config.downsample)
                if sized
                else defaults.PAPER_WIDTH
            )
        return transforms, colors, pyramid, width

    @staticmethod
    def _statistics_weight(classifier, config, generator, image_shape):
        """`statistics_weight`, `"auto"` resolved for the classifier and
        the image maker (see `VisualizerConfig`)."""
        weight = config.statistics_weight
        if weight != "auto":
            return float(weight)
        side = min(image_shape[:2])
        fourier = isinstance(generator, str) and generator == "fourier"
        if not fourier or side < defaults.LARGE_IMAGE_SIDE or not has_feature_batch_norm(classifier):
            return 0.0
        return defaults.LARGE_IMAGE_STATISTICS_WEIGHT

    def _warn_scratch_only(self, config, generator):
        """Say so when options of the scratch generator go to another image maker.

        Code written when `"auto"` was the scratch generator on small images
        would otherwise lose its `width` without a word.
        """
        if isinstance(generator, str) and generator == "scratch":
            return
        changed = config.changed()
        ignored = [name for name in SCRATCH_ONLY if name in changed and getattr(config, name) != "auto"]
        if not ignored:
            return
        maker = generator if isinstance(generator, str) else "your model"
        warnings.warn(
            f"{', '.join(f'`{name}`' for name in ignored)} "
            f"{'sets' if len(ignored) == 1 else 'set'} the scratch generator and "
            f"{'is' if len(ignored) == 1 else 'are'} ignored by the image maker in use, {maker!r} "
            f"(generator={config.generator!r} on a {self.image_shape} classifier); pass "
            "generator='scratch' to use "
            f"{'it' if len(ignored) == 1 else 'them'}. Received: "
            + ", ".join(f"{name}={getattr(config, name)!r}" for name in ignored),
            stacklevel=4,
        )

    @property
    def trainers(self) -> list[ChunkTrainer]:
        """The compiled `ChunkTrainer`s built so far."""
        return list(self._trainers.values())

    # -- building -----------------------------------------------------------

    @property
    def shards(self) -> int:
        """The number of devices each chunk of targets is cut across."""
        return 1 if self.parallel is None else self.parallel.shards

    def _scope(self, rows=None):
        return devices_module.scope(getattr(self, "parallel", None), rows)

    def _base_probe(self, classifier, input_shape, head):
        """The probe of the class logits, on the visualizer's devices."""
        with self._scope():
            return ClassifierProbe(
                classifier,
                dtype_policy=self.precision,
                input_shape=input_shape,
                head=head,
                statistics=self.statistics_weight > 0,
            )

    def _probe_for(self, layers):
        key = tuple(sorted(layers))
        if key not in self._probes:
            with self._scope():
                self._probes[key] = ClassifierProbe(
                    self.classifier,
                    key,
                    dtype_policy=self.precision,
                    input_shape=self.image_shape,
                    head=self._head,
                    statistics=self.statistics_weight > 0,
                )
        return self._probes[key]

    def _trainer(self, probe, plan, targets_per_step):
        key = (plan.key, targets_per_step)
        if key not in self._trainers:
            with self._scope(rows=targets_per_step):
                generator = self.source.build(targets_per_step)
            with self._scope():
                self._trainers[key] = self._compiled(generator, probe, plan, targets_per_step)
        trainer = self._trainers[key]
        trainer.model.use_plan(plan)
        return trainer

    def _compiled(self, generator, probe, plan, targets_per_step):
        """A `ChunkTrainer` of a compiled, built coupled model."""
        model = CoupledModel(
            generator,
            probe.model,
            plan,
            self._preprocess,
            self.penalty,
            paper_loss=self.paper_loss,
            multilabel=probe.head == "multilabel",
            statistics_weight=self.statistics_weight,
            transforms=transforms_module.get(
                self.transforms, self.seed, xla=transforms_module.runs_under_xla(self.jit_compile)
            ),
            name="coupled",
        )
        model.compile(
            optimizer=make_optimizer(self._optimizer, self.source.trains, self.precision),
            jit_compile=self.jit_compile,
        )
        model(np.ones((targets_per_step, generator.input_shape[-1]), "float32"))
        model.optimizer.build(model.trainable_variables)
        return ChunkTrainer(model, targets_per_step, self.source.batched, self.source.keeps_moments)

    def _targets_per_step(self, probe, count):
        """Targets per step: the chunk size, cut to the memory budget per
        device, and padded to a multiple of the devices."""
        if not self.source.batched:
            return 1
        size = min(self.batch_size, count)
        if size > 1:
            if id(probe) not in self._fitting:
                with self._scope():
                    self._fitting[id(probe)] = memory.targets_per_step(
                        self.source.build(1), probe.model, self.memory_budget
                    )
            size = min(size, self._fitting[id(probe)] * self.shards)
        return -(-size // self.shards) * self.shards

    def layer_shape(self, layer: str) -> tuple:
        """The output shape (without batch) of a layer of the classifier.

        The probe that reads it is kept for `visualize`, so asking first
        costs nothing later.

        Raises:
            ValueError: for a layer name the classifier does not have.
        """
        return self._probe_for([layer]).output_shapes[layer]

    def sync_weights(self) -> None:
        """Copy the classifier's current weights into every probe.

        Call this when the classifier has trained since the visualizer was
        made (the training callbacks do, each epoch).
        """
        for probe in self._probes.values():
            probe.sync_weights()

    # -- running ------------------------------------------------------------

    def visualize(
        self,
        targets: Target | Sequence[Target],
        steps: int | None = None,
        verbose: str | int = "auto",
        callbacks: Sequence[keras.callbacks.Callback] | None = None,
        warm_start: bool = False,
    ) -> Visualization:
        """Optimise an image for each target.

        Args:
            targets: A target or a list of them: an int (that class) or an
                objective from `keras_featviz.objectives`.
            steps: Int > 0, optimisation steps per target; `None` for
                `defaults.STEPS` (300) on small images and
                `defaults.LARGE_IMAGE_STEPS` (300) on images of 128 pixels
                a side or more. Defaults to `None`.
            verbose: As in `fit`: 0, 1 (a progress bar), 2 (one line a
                chunk of targets) or `"auto"`: 1 on a terminal, 2 otherwise
                (a log gets no redrawn bar). Defaults to `"auto"`.
            callbacks: List of `keras.callbacks.Callback` passed to `fit`.
                Defaults to `None`.
            warm_start: Bool, continue each target from the generator state
                that the previous `warm_start=True` call reached, and keep
                the new state for the next (the training callbacks do this
                each epoch). In scratch mode, a chunk that trains again
                right after itself also keeps its optimizer's moments.
                Plain calls neither read nor keep states: a scratch sweep
                of 1,000 targets at 224x224 would otherwise hold 21 GB of
                generator weights. Defaults to `False`.

        Returns:
            A `Visualization`. The seconds one step of all the targets took
            are left in `last_step_seconds` (the training callbacks fit
            their steps to a time budget with it).

        Raises:
            ValueError: for a bad target (class, layer, channel or unit out
                of range) or `steps`, before any optimisation.
            FloatingPointError: if the loss or the images become non-finite.
        """
        if steps is None:
            steps = defaults.LARGE_IMAGE_STEPS if self._large else defaults.STEPS
        steps = positive_int(steps, "steps")
        verbose = verbosity(verbose)
        objectives, plan, trainer = self._prepare(targets)
        size = trainer.targets_per_step
        parts, step_seconds, began = [], 0.0, time.perf_counter()
        for start in range(0, len(objectives), size):
            indices = list(range(start, min(start + size, len(objectives))))
            if verbose and size < len(objectives):
                print(
                    f"Targets {start + 1}-{indices[-1] + 1} of {len(objectives)}{_time_left(began, start, len(objectives))}"
                )
            with self._scope():
                outputs, seconds = trainer.run(
                    objectives,
                    plan,
                    indices,
                    steps,
                    warm_start,
                    self.warm_states,
                    verbose,
                    list(callbacks or []),
                )
            parts.append(outputs)
            step_seconds += seconds
        self.last_step_seconds = step_seconds
        return self._result(objectives, parts)

    def prepare(self, targets: Target | Sequence[Target]) -> list[Objective]:
        """Check the targets and build what optimising them needs, now.

        `visualize` does this itself; call it to find a bad target or a
        generator that does not fit before a long run (the training
        callbacks do, in `on_train_begin`). The compiled model is kept for
        the next `visualize` of targets that read the same layers.

        Args:
            targets: As in `visualize`.

        Returns:
            The list of `Objective`s the targets stand for.

        Raises:
            ValueError: for a bad target (class, layer, channel or unit out
                of range).
        """
        return self._prepare(targets)[0]

    def _prepare(self, targets):
        objectives = self._objectives(targets)
        layers = sorted({layer for o in objectives for layer in o.layers})
        probe = self._probe_for(layers)
        plan = ReadoutPlan(objectives, probe)
        trainer = self._trainer(probe, plan, self._targets_per_step(probe, len(objectives)))
        return objectives, plan, trainer

    def _objectives(self, targets):
        if isinstance(targets, (list, tuple, range)) or (isinstance(targets, np.ndarray) and targets.ndim):
            targets = list(targets)
        else:
            targets = [targets]
        if not targets:
            raise ValueError("`targets` must name at least one target. Received: targets=[]")
        return [obj.from_target(t, self.class_names) for t in targets]

    def release(self) -> None:
        """Drop the classifier copies and compiled models built so far.

        Each set of hidden layers read gets its own frozen copy of the
        classifier (VGG16: 528 MB each); a sweep over many layers calls
        this between layers (`make_atlas` does) so memory stays flat. The
        copy that reads the classes stays; what a later `visualize` needs
        is built again.
        """
        self._probes = {(): self.probe}
        self._trainers = {}
        self._fitting = {}

    def forget(self) -> None:
        """Drop the generator states kept for `visualize(warm_start=True)`."""
        self.warm_states.clear()

    def label(self, objective: Objective) -> str:
        """What to call a target: its class name if known, else its name."""
        return obj.label(objective, self.class_names)

    def _result(self, objectives, parts):
        images, activations, logits = (np.concatenate(p) for p in zip(*parts))
        return Visualization(
            images=images,
            activations=activations,
            probabilities=self.probe.probabilities(logits),
            names=[o.name for o in objectives],
            labels=[self.label(o) for o in objectives],
            target_classes=[-1 if o.target_class is None else o.target_class for o in objectives],
        )
