"""The façade: `FeatureVisualizer` checks arguments, caches and returns results.

It takes the user's classifier and builds, once each, what the other
modules provide: a frozen `ClassifierProbe` per set of tapped layers
(`surgery`), a `GeneratorSource` for the generator choice
(`generator_source`), one compiled `ChunkTrainer` per readout layout and
chunk size (`loop`), and the kept `WarmStates` of warm-started targets.
`visualize` cuts the targets into chunks that fit the memory budget, runs
each chunk and gathers a `Visualization`.
"""

import os
from collections.abc import Callable, Sequence

import keras
import numpy as np

from keras_featviz import costs, defaults, imagenet, memory, preprocessing
from keras_featviz import devices as devices_module
from keras_featviz import objectives as obj
from keras_featviz import transforms as transforms_module
from keras_featviz.coupled import CoupledModel, ReadoutPlan
from keras_featviz.generator_source import PRECISIONS, GeneratorSource, resolve_generator
from keras_featviz.loop import ChunkTrainer, WarmStates
from keras_featviz.objectives import Objective
from keras_featviz.optimizers import check_optimizer, make_optimizer
from keras_featviz.results import Visualization
from keras_featviz.surgery import ClassifierProbe
from keras_featviz.validation import boolean, number, one_of, positive_int, random_seed, verbosity

# What `visualize` takes for one target: a class index or an objective.
Target = int | Objective


def default_penalty(num_classes: int) -> float:
    """Eq. 2's lambda by default: `min(1, 10 / num_classes)`.

    The paper's code used 0.01 for VGG16's 1,000 classes: a total weight of
    about 10 on the other classes. Keeping that total while capping each
    class at the target's own weight gives 0.01 at 1,000 classes, 0.1 at
    100 and 1 for 10 classes or fewer.
    """
    return min(1.0, 10.0 / max(num_classes, 1))


class FeatureVisualizer:
    """Images that a Keras classifier responds to most, made by a generator.

    A generator network is coupled to a frozen copy of the classifier whose
    softmax is replaced by ReLU, and trained by backpropagation to maximise
    each target (Despraz et al., Eq. 2): a class, several classes, a channel
    or unit of a hidden layer, or any weighted sum of those.

    Args:
        classifier: A Sequential or functional `keras.Model` with one image
            input `(h, w, c)` and one class output; never modified.
        generator: How the image is made. `"scratch"` (section 4.1: the
            generator trains from random weights), `"pretrained"` (section
            4.2: a frozen decoder, only its input scale `alpha` trains), a
            `keras.Model` mapping a vector to an image (shown as
            `127.5 * (1 + tanh(g))`; its weights train if any are
            trainable, else only `alpha` does), or an image
            parameterisation without a generator network, for comparison:
            `"pixels"`, `"fourier"` (Lucid's) or `"fourier_phase"`
            (MACO's); see `keras_featviz.parameterizations`. Or `"auto"`:
            `"scratch"` on images below 128 pixels a side, and `"fourier"`
            from 128 up, where independent models of another family
            recognised its class images more often than the scratch
            generator's (`benchmarks/real_models.py`; README). Defaults to
            `defaults.GENERATOR` (`"auto"`).
        decoder: With `"pretrained"`: a `.keras` path, a
            `DenoisingAutoencoder` or its decoder model. Defaults to `None`.
        preprocess: Applied to RGB 0-255 images before the classifier; see
            `keras_featviz.preprocessing`. Defaults to `None` (pixels as
            they are).
        penalty: Float >= 0, Eq. 2's lambda on each other class; `None` for
            `min(1, 10 / classes)`. Defaults to `None`.
        seed: Int or `None`, makes runs repeatable on one machine. Defaults
            to `defaults.SEED` (`None`).
        width: Float > 0, filter multiplier of the scratch generator (`1`
            is the paper's), or `"auto"`: the paper's on images below 128
            pixels a side, and on larger ones the widest of 1, 1/2, 1/4,
            1/8 whose forward pass costs at most the classifier's
            (`keras_featviz.costs`). Defaults to `defaults.WIDTH`
            (`"auto"`).
        batch_size: Int, the most targets trained together (a chunk), in
            scratch and pretrained mode alike; a user's generator with
            trainable weights runs one target at a time. Defaults to
            `defaults.BATCH_SIZE` (64).
        memory_budget: Number of bytes a step may keep for the backward
            pass; chunks are cut smaller than `batch_size` to stay under it
            (see `keras_featviz.memory`). The default, 4 GiB, runs VGG16 at
            224x224 in chunks of 22 targets (pretrained) or 7 (scratch),
            about 5.5 GB at the peak; on a large GPU raise it. Defaults to
            `defaults.MEMORY_BUDGET` (`4 * 2**30`).
        optimizer: A Keras optimizer (copied for each compiled model),
            `"paper"` for Table 1's (AdaMax 0.002 scratch, SGD 0.01 Nesterov
            pretrained), or `None` for AdaMax 0.01 in scratch mode and Adam
            0.1 in pretrained mode (see `optimizers.default_optimizer`). Defaults to
            `None`.
        class_names: Optional list naming every class, for labels, tags and
            file names. `None` names a 1,000-class classifier's classes by
            ImageNet's (`keras_featviz.imagenet`), and leaves others as
            `class_3` and so on. Defaults to `None`.
        paper_loss: Bool, Eq. 2 to the letter: a target whose logit is
            negative reads ReLU(logit) = 0 and gets no gradient. By default
            it follows its log-softmax until it is active (see
            `CoupledModel`); `True` is for comparing with the paper's
            procedure. Defaults to `False`.
        noise: Float >= 0 or `None`, sigma of the feature-vector noise
            `eps` of Eq. 1. `None`: none in scratch mode, Table 1's
            multiplicative 0.05 in pretrained mode. Table 1's scratch noise
            is `noise=2.0`: the image shown is made without noise, so a
            large sigma leaves it far from the images that were optimised
            in a few hundred steps (on the shapes demo, sigma 2 put 44-56%
            of the classes first where no noise put 100%). Defaults to
            `None`.
        jit_compile: Bool or `"auto"`, as in `Model.compile`: compile the
            optimisation step with XLA. Keras' `"auto"` does so on JAX, and
            on TensorFlow with an accelerator. On a TensorFlow CPU, `True`
            makes the training callback's scratch work about 1.3x faster
            (18 targets, 32x32, width 0.25, 10 steps: 0.76 s instead of
            0.99 s per epoch, `benchmarks/callback_overhead.py --jit
            --max-overhead none`), but compiling takes about 11 s more, so
            it pays off only past a few hundred steps. Defaults to
            `"auto"`.
        precision: `None`, `"float32"`, `"mixed_bfloat16"` or
            `"mixed_float16"`: the Keras dtype policy of the classifier's
            copy and of the pretrained decoder (their weights stay
            float32). `None` keeps each classifier layer's own policy.
            `"mixed_bfloat16"` suits CPUs with bfloat16 units and TPUs
            (VGG16 at 224x224, pretrained mode: 1.7x the targets per second
            of float32 on this project's CPU), `"mixed_float16"` GPUs (with
            loss scaling); on CPUs without such units float16 is far
            slower. The scratch generator stays float32: its per-target
            convolutions gained nothing in bfloat16, and the shapes demo's
            images lost their class (33% first instead of 100%). Defaults
            to `None`.
        transforms: `"auto"`, `"standard"`, `"none"` or a Keras layer:
            random changes of the image before the classifier at every
            step (see `keras_featviz.transforms`). `"auto"` is
            `"standard"` for images of 128 pixels or more a side and
            `"none"` below. Defaults to `defaults.TRANSFORMS` (`"auto"`).
        downsample: Int >= 1, the scratch generator makes an image this
            many times smaller a side, enlarged bilinearly: its cost falls
            with the square. Defaults to `1`.
        colors: `"rgb"` (the paper's), `"decorrelated"` (the scratch
            generator's 3 outputs read as natural images' colour axes:
            muted photo colours rather than saturated primaries) or
            `"auto"`: decorrelated on images of 128 pixels a side or more.
            Defaults to `defaults.COLORS` (`"auto"`).
        input_shape: `(height, width, channels)` for a classifier whose
            input size is open (`keras.Input((None, None, 3))`). Defaults
            to `None`.
        head: What the classifier outputs: `"auto"` recognises a softmax,
            logits, one sigmoid unit or one logit (a binary classifier:
            classes 0 and 1, probabilities `[1 - p, p]`) and several
            sigmoid units (independent labels); `"softmax"`, `"sigmoid"`
            or `"probabilities"` say it where it cannot be recognised (see
            `ClassifierProbe`). Defaults to `"auto"`.
        pyramid: Bool or `"auto"`: the scratch generator's multi-scale
            output (every block reaches the image through its own 1x1
            convolution, see `generators.scratch_generator`). `"auto"` is
            `True` on images of 128 pixels a side or more. Defaults to
            `defaults.PYRAMID` (`"auto"`).
        devices: Where the targets run (JAX backend; see
            `keras_featviz.devices`): `"auto"` (the devices of the
            `keras.distribution` distribution set when the visualizer is
            made, else one), `"all"` (every device of this process), `None`
            (one device), an int (the first that many devices), a
            `keras.distribution.DeviceMesh` or distribution (its devices)
            or a `devices.TargetParallel`. Each chunk of targets is cut
            across the devices, the classifier replicated on each; a chunk
            is padded to a multiple of the devices, and `batch_size` and
            `memory_budget` count all devices together and per device. The
            images are the same on one device or many, up to float
            rounding. A user's generator whose own weights train (one target
            at a time) runs on one device. Defaults to `defaults.DEVICES` (`"auto"`).

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
        generator: str | keras.Model = defaults.GENERATOR,
        decoder: str | os.PathLike | keras.Model | None = None,
        preprocess: str | Callable | None = None,
        penalty: float | None = None,
        seed: int | None = defaults.SEED,
        width: float | str = defaults.WIDTH,
        batch_size: int = defaults.BATCH_SIZE,
        optimizer: keras.optimizers.Optimizer | str | None = None,
        class_names: Sequence[str] | None = None,
        paper_loss: bool = False,
        noise: float | None = None,
        jit_compile: bool | str = "auto",
        memory_budget: float = defaults.MEMORY_BUDGET,
        precision: str | None = None,
        transforms: str | keras.layers.Layer | None = defaults.TRANSFORMS,
        downsample: int = 1,
        colors: str = defaults.COLORS,
        input_shape: tuple[int, int, int] | None = None,
        head: str = "auto",
        pyramid: bool | str = defaults.PYRAMID,
        devices: object = defaults.DEVICES,
    ) -> None:
        self.precision = one_of(precision, "precision", PRECISIONS)
        self.parallel = devices_module.target_parallel(devices)
        self.probe = self._base_probe(classifier, input_shape, head)
        self._head = head
        self.classifier = classifier
        self.image_shape = self.probe.input_shape
        if penalty is None:
            penalty = default_penalty(self.probe.num_classes)
        self.penalty = number(penalty, "penalty", minimum=0)
        self.batch_size = positive_int(batch_size, "batch_size")
        self.memory_budget = number(memory_budget, "memory_budget", minimum=0, inclusive=False)
        self.jit_compile = one_of(jit_compile, "jit_compile", (True, False, "auto"))
        self._optimizer = check_optimizer(optimizer)
        self.class_names = imagenet.resolve_names(class_names, self.probe.num_classes)
        self.paper_loss = boolean(paper_loss, "paper_loss")
        self.seed = seed = random_seed(seed)
        self._preprocess = preprocessing.get(preprocess, self.image_shape[-1])
        self._large = large = min(self.image_shape[:2]) >= defaults.LARGE_IMAGE_SIDE
        generator = resolve_generator(generator, self.image_shape)
        if transforms == "auto":
            transforms = "standard" if large else "none"
        if colors == "auto":
            colors = "decorrelated" if large else "rgb"
        if pyramid == "auto":
            pyramid = large
        if width == "auto":
            # Sizing builds a few candidate networks: only for the scratch generator.
            sized = large and isinstance(generator, str) and generator == "scratch"
            downsample = positive_int(downsample, "downsample")
            width = (
                costs.sized_width(self.image_shape, self.probe.model, downsample)
                if sized
                else defaults.PAPER_WIDTH
            )
        self.transforms = transforms
        transforms_module.get(transforms)  # checked now, built per compiled model
        self.source = GeneratorSource(
            generator,
            self.image_shape,
            decoder=decoder,
            width=width,
            noise=noise,
            seed=seed,
            precision=precision,
            # XLA runs sliced patches faster than its depthwise convolution.
            patches="slices" if jit_compile is True else "auto",
            downsample=downsample,
            colors=colors,
            pyramid=pyramid,
        )
        if not self.source.batched and self.parallel is not None:
            # One target at a time: nothing to cut, and one device for all.
            self.parallel = None
            self.probe = self._base_probe(classifier, input_shape, head)
        self.warm_states = WarmStates()
        self.last_step_seconds = None
        self._probes = {(): self.probe}
        self._trainers = {}
        self._fitting = {}

    @property
    def trainers(self):
        """The compiled `ChunkTrainer`s built so far."""
        return list(self._trainers.values())

    # -- building -----------------------------------------------------------

    @property
    def shards(self):
        """The number of devices each chunk of targets is cut across."""
        return 1 if self.parallel is None else self.parallel.shards

    def _scope(self, rows=None):
        return devices_module.scope(getattr(self, "parallel", None), rows)

    def _base_probe(self, classifier, input_shape, head):
        """The probe of the class logits, on the visualizer's devices."""
        with self._scope():
            return ClassifierProbe(
                classifier, dtype_policy=self.precision, input_shape=input_shape, head=head
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
            transforms=transforms_module.get(self.transforms, self.seed),
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
                `defaults.STEPS` (300), or `defaults.LARGE_IMAGE_STEPS`
                (150) on images of 128 pixels a side or more. Defaults to
                `None`.
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
        parts, step_seconds = [], 0.0
        for start in range(0, len(objectives), size):
            indices = list(range(start, min(start + size, len(objectives))))
            if verbose and size < len(objectives):
                print(f"Targets {start + 1}-{indices[-1] + 1} of {len(objectives)}")
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
