"""The loop: optimise the coupled network for each target, with Keras' `fit`.

`FeatureVisualizer` takes the user's classifier, builds a frozen probe of it
once, couples a generator to it and trains with `fit`, so users see Keras'
progress bar and can pass Keras callbacks. The targets of a chunk train
together, one row each: one row of `alpha` in pretrained (latent) mode, one
whole generator in scratch mode (row `i` of every weight). A user's
generator whose own weights train runs one target at a time through the
same compiled model, its weights and optimizer reset in between.
"""

import numbers
import os
import time

import numpy as np

import keras

from keras_featviz import generators, memory, preprocessing
from keras_featviz.coupled import CoupledModel, ReadoutPlan
from keras_featviz.layers import FeatureVector
from keras_featviz.objectives import as_objective
from keras_featviz.results import Visualization
from keras_featviz.surgery import ClassifierProbe

MODES = ("scratch", "pretrained")
PRECISIONS = (None, "float32", "mixed_bfloat16", "mixed_float16")
DEFAULT_STEPS = 300
DEFAULT_BATCH_SIZE = 64
DEFAULT_SCRATCH_NOISE = 0.0  # Table 1: 2.0; see the `noise` argument


def default_penalty(num_classes):
    """Eq. 2's lambda by default: `min(1, 10 / num_classes)`.

    The paper's code used 0.01 for VGG16's 1,000 classes: a total weight of
    about 10 on the other classes. Keeping that total while capping each
    class at the target's own weight gives 0.01 at 1,000 classes, 0.1 at
    100 and 1 for 10 classes or fewer.
    """
    return min(1.0, 10.0 / max(num_classes, 1))


def paper_optimizer(latent):
    """Table 1's optimizer: SGD (pretrained) or AdaMax (scratch)."""
    if latent:
        return keras.optimizers.SGD(learning_rate=0.01, momentum=0.1, nesterov=True)
    return keras.optimizers.Adamax(
        learning_rate=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    )


def default_optimizer(latent):
    """AdaMax 0.01 in scratch mode; Adam 0.1 on the latent vector.

    Measured on the 18-class shapes demo (150 steps): Table 1's AdaMax 0.002
    is too slow for a few hundred steps (44% of the classes first, 100% at
    0.01 with `noise=0`), and Table 1's SGD 0.01 moves `alpha` by steps tied
    to the decoder's gradient scale (6% first, where Adam's per-coordinate
    steps reach 94-100%). `optimizer="paper"` restores Table 1.
    """
    if latent:
        return keras.optimizers.Adam(learning_rate=0.1)
    return keras.optimizers.Adamax(learning_rate=0.01)


class _RepeatedBatch(keras.utils.PyDataset):
    """The same `(f0, targets)` batch, `steps` times: one epoch of `fit`."""

    def __init__(self, x, y, steps):
        super().__init__()
        self.x, self.y, self.steps = x, y, steps

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        return self.x, self.y


def _check_finite(logs, step, names):
    loss = float((logs or {}).get("loss", 0.0))
    if not np.isfinite(loss):
        raise FloatingPointError(
            f"The visualization loss became non-finite at step {step} "
            f"for targets {names}: lower the learning rate or the "
            f"penalty, or check the classifier. Received: loss={loss}"
        )


class _StopOnNonFinite(keras.callbacks.Callback):
    def __init__(self, names):
        super().__init__()
        self.names = names

    def on_train_batch_end(self, batch, logs=None):
        _check_finite(logs, batch + 1, self.names)


def _copy_model(model, dtype_policy=None):
    """A copy of `model` with its weights, its layers under `dtype_policy` if given."""

    def with_policy(layer):
        if isinstance(layer, keras.Model):
            return _copy_model(layer, dtype_policy)
        return layer.__class__.from_config({**layer.get_config(), "dtype": dtype_policy})

    copy = keras.models.clone_model(model, clone_function=with_policy if dtype_policy else None)
    copy.set_weights(model.get_weights())
    return copy


def load_decoder(decoder):
    """A decoder `keras.Model` from a path, an autoencoder or a model.

    Raises:
        FileNotFoundError: if the path does not exist.
        ValueError: if the file cannot be read as a Keras model, or holds no
            vector-to-image model.
    """
    from keras_featviz.autoencoder import DenoisingAutoencoder

    if isinstance(decoder, (str, os.PathLike)):
        path = os.fspath(decoder)
        if not os.path.exists(path):
            raise FileNotFoundError(f"No decoder file at {path!r}. Received: decoder={path!r}")
        try:
            decoder = keras.saving.load_model(path, compile=False)
        except Exception as error:
            raise ValueError(
                f"Could not read the decoder file {path!r} as a Keras model "
                f"({type(error).__name__}: {error}). Received: decoder={path!r}"
            ) from error
    if isinstance(decoder, DenoisingAutoencoder):
        decoder = decoder.decoder
    if not isinstance(decoder, keras.Model):
        raise ValueError(
            "`decoder` must be a path to a `.keras` file, a "
            "DenoisingAutoencoder or a keras.Model mapping a vector to an "
            f"image. Received: decoder={decoder!r}"
        )
    if len(decoder.input_shape) != 2:
        raise ValueError(
            "The decoder must map a vector (batch, features) to an image. "
            f"Received: decoder input_shape={decoder.input_shape}"
        )
    return decoder


class FeatureVisualizer:
    """Images that a Keras classifier responds to most, made by a generator.

    A generator network is coupled to a frozen copy of the classifier whose
    softmax is replaced by ReLU, and trained by backpropagation to maximise
    each target (Despraz et al., Eq. 2): a class, several classes, a channel
    or unit of a hidden layer, or any weighted sum of those.

    Args:
        classifier: A Sequential or functional `keras.Model` with one image
            input `(h, w, c)` and one class output; never modified.
        generator: `"scratch"` (section 4.1: the generator trains from
            random weights), `"pretrained"` (section 4.2: a frozen decoder,
            only its input scale `alpha` trains) or a `keras.Model` mapping a
            vector to an image (shown as `127.5 * (1 + tanh(g))`) (its weights train if any
            are trainable; if all are frozen only `alpha` does). Defaults to
            `"scratch"`.
        decoder: With `"pretrained"`: a `.keras` path, a
            `DenoisingAutoencoder` or its decoder model. Defaults to `None`.
        preprocess: Applied to RGB 0-255 images before the classifier; see
            `keras_featviz.preprocessing`. Defaults to `None` (pixels as
            they are).
        penalty: Float >= 0, Eq. 2's lambda on each other class; `None` for
            `min(1, 10 / classes)`. Defaults to `None`.
        seed: Int or `None`, makes runs repeatable on one machine. Defaults
            to `None`.
        width: Float, filter multiplier of the scratch generator (`1` is the
            paper's). Defaults to `1.0`.
        batch_size: Int, the most targets trained together (a chunk), in
            scratch and pretrained mode alike; a user's generator with
            trainable weights runs one target at a time. Defaults to `64`.
        memory_budget: Number of bytes a step may keep for the backward
            pass; chunks are cut smaller than `batch_size` to stay under it
            (see `keras_featviz.memory`). The default, 4 GiB, runs VGG16 at
            224x224 in chunks of 22 targets (pretrained) or 7 (scratch),
            about 5.5 GB at the peak; on a large GPU raise it. Defaults to
            `4 * 2**30`.
        optimizer: A Keras optimizer (copied for each compiled model),
            `"paper"` for Table 1's (AdaMax 0.002 scratch, SGD 0.01 Nesterov
            pretrained), or `None` for AdaMax 0.01 in scratch mode and Adam
            0.1 in pretrained mode (see `default_optimizer`). Defaults to
            `None`.
        class_names: Optional list of class names for labels. Defaults to
            `None`.
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

    Example:

    ```python
    visualizer = keras_featviz.FeatureVisualizer(model, preprocess="unit")
    result = visualizer.visualize([0, 1, 2], steps=200)
    result.save("featviz")
    ```

    Raises:
        ValueError: for an unknown generator mode, a negative penalty, a
            classifier that is not an image classifier, a generator whose
            output does not fit the classifier input, or a bad decoder.
        FileNotFoundError: for a missing decoder file.
    """

    def __init__(
        self,
        classifier,
        generator="scratch",
        decoder=None,
        preprocess=None,
        penalty=None,
        seed=None,
        width=1.0,
        batch_size=DEFAULT_BATCH_SIZE,
        optimizer=None,
        class_names=None,
        paper_loss=False,
        noise=None,
        jit_compile="auto",
        memory_budget=memory.DEFAULT_MEMORY_BUDGET,
        precision=None,
    ):
        if precision not in PRECISIONS:
            raise ValueError(
                f"`precision` must be one of {list(PRECISIONS)}. Received: precision={precision!r}"
            )
        self.precision = precision
        self.probe = ClassifierProbe(classifier, dtype_policy=precision)
        self.classifier = classifier
        self.image_shape = self.probe.input_shape
        self._mode = self.check_mode(generator, decoder)
        if penalty is None:
            penalty = default_penalty(self.probe.num_classes)
        if not isinstance(penalty, numbers.Real) or penalty < 0:
            raise ValueError(f"`penalty` must be a number >= 0. Received: penalty={penalty}")
        if not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"`batch_size` must be an integer >= 1. Received: batch_size={batch_size}")
        if optimizer is not None and optimizer != "paper" and not isinstance(
            optimizer, keras.optimizers.Optimizer
        ):
            raise ValueError(
                "`optimizer` must be a keras optimizer, 'paper' or None. "
                f"Received: optimizer={optimizer!r}"
            )
        if class_names is not None and len(class_names) != self.probe.num_classes:
            raise ValueError(
                f"`class_names` must name all {self.probe.num_classes} classes. "
                f"Received: {len(class_names)} class_names"
            )
        if noise is not None and (
            isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not noise >= 0
        ):
            raise ValueError(f"`noise` must be a number >= 0 or None. Received: noise={noise}")
        if isinstance(memory_budget, bool) or not isinstance(memory_budget, numbers.Real) or not memory_budget > 0:
            raise ValueError(
                f"`memory_budget` must be a number of bytes > 0. Received: memory_budget={memory_budget!r}"
            )
        self.memory_budget = memory_budget
        if jit_compile not in (True, False, "auto"):
            raise ValueError(
                f"`jit_compile` must be True, False or 'auto'. Received: jit_compile={jit_compile!r}"
            )
        self.jit_compile = jit_compile
        self.noise = None if noise is None else float(noise)
        self.penalty = float(penalty)
        self.paper_loss = bool(paper_loss)
        self.seed = seed
        self.width = width
        self.batch_size = int(batch_size)
        self.class_names = list(class_names) if class_names is not None else None
        self._optimizer = optimizer
        self._preprocess = preprocessing.get(preprocess, self.image_shape[-1])
        self._generator_source = self._make_generator_source(generator, decoder)
        self._probes = {(): self.probe}
        self._coupled = {}
        self._warm = {}
        self._fitting_rows = {}
        self.last_step_seconds = None

    @property
    def _batched(self):
        """Whether targets train side by side, one row of each weight each."""
        return self._mode == "scratch" or self.latent

    @staticmethod
    def check_mode(generator, decoder):
        """The generator mode, `"model"` for a model, checked with `decoder`.

        Raises:
            ValueError: for an unknown mode, or a decoder that does not go
                with it.
        """
        if isinstance(generator, keras.Model):
            return "model"
        if generator not in MODES:
            raise ValueError(
                f"`generator` must be one of {list(MODES)} or a keras.Model. "
                f"Received: generator={generator!r}"
            )
        if generator == "pretrained" and decoder is None:
            raise ValueError(
                "generator='pretrained' needs a `decoder`: a `.keras` file, a "
                "DenoisingAutoencoder or a decoder model. Received: decoder=None"
            )
        if generator == "scratch" and decoder is not None:
            raise ValueError(
                "`decoder` is used only with generator='pretrained'. Received: "
                f"generator='scratch' and decoder={decoder!r}"
            )
        return generator

    def _make_generator_source(self, generator, decoder):
        """Check the generator once; return a factory of fresh generators."""
        if self._mode == "scratch":
            if not isinstance(self.width, numbers.Real) or not self.width > 0:
                raise ValueError(f"`width` must be a number > 0. Received: width={self.width}")
            self.latent = False
            stddev = DEFAULT_SCRATCH_NOISE if self.noise is None else self.noise
            # XLA runs sliced patches faster than its depthwise convolution.
            patches = "slices" if self.jit_compile is True else "auto"
            return lambda rows: generators.scratch_generator(
                self.image_shape, self.width, rows=rows, seed=self.seed, noise_stddev=stddev,
                patches=patches,
            )
        source = load_decoder(decoder) if self._mode == "pretrained" else generator
        self._check_output(source)
        self.latent = self._mode == "pretrained" or not source.trainable_weights
        if self.latent:
            stddev = generators.LATENT_NOISE_STDDEV if self.noise is None else self.noise
            return lambda rows: generators.latent_generator(
                _copy_model(source, self.precision), rows=rows, seed=self.seed, noise_stddev=stddev
            )
        return lambda rows: self._trainable_user_generator(source, rows)

    def _trainable_user_generator(self, source, rows):
        f0 = keras.Input(source.input_shape[1:], name="f0")
        stddev = DEFAULT_SCRATCH_NOISE if self.noise is None else self.noise
        x = FeatureVector(
            rows=rows, stddev=stddev, seed=self.seed, name="feature_vector", dtype="float32"
        )(f0)
        return keras.Model(f0, _copy_model(source, self.precision)(x), name="generator")

    def _check_output(self, model):
        shape = tuple(model.output_shape[1:])
        if shape != tuple(self.image_shape):
            raise ValueError(
                "The generator's output must fit the classifier's input "
                f"{tuple(self.image_shape)}. Received: generator output_shape={shape}"
            )

    # -- building -----------------------------------------------------------

    def _probe_for(self, layers):
        key = tuple(sorted(layers))
        if key not in self._probes:
            self._probes[key] = ClassifierProbe(self.classifier, key, dtype_policy=self.precision)
        return self._probes[key]

    def _new_optimizer(self):
        if self._optimizer is None:
            optimizer = default_optimizer(self.latent)
        elif self._optimizer == "paper":
            optimizer = paper_optimizer(self.latent)
        else:
            optimizer = self._optimizer.__class__.from_config(self._optimizer.get_config())
        if self.precision == "mixed_float16":
            # float16 gradients underflow without it; bfloat16's range is float32's.
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        return optimizer

    def _coupled_model(self, probe, plan, rows):
        key = (plan.key, rows)
        if key not in self._coupled:
            generator = self._generator_source(rows)
            model = CoupledModel(
                generator, probe.model, plan, self._preprocess, self.penalty,
                paper_loss=self.paper_loss, name="coupled",
            )
            model.compile(optimizer=self._new_optimizer(), jit_compile=self.jit_compile)
            f0 = np.ones((rows, generator.input_shape[-1]), "float32")
            model(f0)
            model.optimizer.build(model.trainable_variables)
            self._coupled[key] = _Session(model, f0, self._batched, keep_moments=not self.latent)
        session = self._coupled[key]
        session.model.plan = plan
        return session

    def layer_shape(self, layer):
        """The output shape (without batch) of a layer of the classifier.

        The probe that reads it is kept for `visualize`, so asking first
        costs nothing later.

        Raises:
            ValueError: for a layer name the classifier does not have.
        """
        return self._probe_for([layer]).output_shapes[layer]

    def sync_weights(self):
        """Copy the classifier's current weights into every probe.

        Call this when the classifier has trained since the visualizer was
        made (the training callbacks do, each epoch).
        """
        for probe in self._probes.values():
            probe.sync_weights()

    # -- running ------------------------------------------------------------

    def visualize(self, targets, steps=None, verbose="auto", callbacks=None, warm_start=False):
        """Optimise an image for each target.

        Args:
            targets: A target or a list of them: an int (that class) or an
                objective from `keras_featviz.objectives`.
            steps: Int > 0, optimisation steps per target; `None` for 300.
                Defaults to `None`.
            verbose: As in `fit`: `"auto"`, 0, 1 or 2. Defaults to `"auto"`.
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
        steps = self._check_steps(steps)
        objectives, plan, session = self._prepare(targets)
        rows = session.rows
        callbacks = list(callbacks or [])
        parts, step_seconds = [], 0.0
        for start in range(0, len(objectives), rows):
            chunk = list(range(start, min(start + rows, len(objectives))))
            names = [objectives[i].name for i in chunk]
            if verbose and rows < len(objectives):
                print(f"Targets {start + 1}-{chunk[-1] + 1} of {len(objectives)}")
            session.restore([objectives[i] for i in chunk], warm_start, self._warm)
            y = session.targets(plan, chunk)
            session.model.chunk = Chunk(names, session.f0, y)
            step_seconds += self._train_chunk(session.model, y, names, steps, verbose, callbacks)
            if warm_start:
                session.remember([objectives[i] for i in chunk], self._warm)
            parts.append(session.outputs(y, len(chunk), names))
        self.last_step_seconds = step_seconds
        return self._result(objectives, parts)

    @staticmethod
    def _train_chunk(model, y, names, steps, verbose, callbacks):
        """Train one chunk `steps` times; returns the seconds of one step."""
        begun = time.perf_counter()
        if callbacks or verbose:
            model.fit(
                _RepeatedBatch(model.chunk.f0, y, steps),
                epochs=1,
                verbose=verbose,
                callbacks=callbacks + [_StopOnNonFinite(names)],
                shuffle=False,  # one repeated batch: nothing to shuffle, no global RNG draw
            )
            return (time.perf_counter() - begun) / steps
        # Nothing watches: the same compiled step without `fit`'s setup,
        # which costs as much as the 10 steps of a callback epoch.
        durations = []
        for step in range(1, steps + 1):
            logs = model.train_on_batch(model.chunk.f0, y, return_dict=True)
            _check_finite(logs, step, names)
            durations.append(time.perf_counter() - begun)
            begun = time.perf_counter()
        return float(np.median(durations))  # the median leaves out a first step's tracing

    def prepare(self, targets):
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
        return objectives, plan, self._coupled_model(probe, plan, self._rows(probe, len(objectives)))

    def _rows(self, probe, count):
        """Targets per step: the chunk size, cut to the memory budget."""
        rows = min(self.batch_size, count) if self._batched else 1
        if rows > 1:
            key = id(probe)
            if key not in self._fitting_rows:
                self._fitting_rows[key] = memory.targets_per_step(
                    self._generator_source(1), probe.model, self.memory_budget
                )
            rows = min(rows, self._fitting_rows[key])
        return rows

    def _objectives(self, targets):
        if isinstance(targets, (list, tuple, range, np.ndarray)):
            targets = list(targets)
        else:
            targets = [targets]
        if not targets:
            raise ValueError("`targets` must name at least one target. Received: targets=[]")
        return [as_objective(t) for t in targets]

    @staticmethod
    def _check_steps(steps):
        if steps is None:
            return DEFAULT_STEPS
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps <= 0:
            raise ValueError(f"`steps` must be an integer > 0. Received: steps={steps}")
        return int(steps)

    def forget(self):
        """Drop the generator states kept for `visualize(warm_start=True)`."""
        self._warm.clear()

    def label(self, objective):
        """What to call a target: its class name if known, else its name."""
        objective = as_objective(objective)
        target = objective.target_class
        if target is not None and self.class_names is not None:
            return str(self.class_names[target])
        return objective.name

    def _result(self, objectives, parts):
        images, activations, logits = (np.concatenate(p) for p in zip(*parts))
        if self.probe.squashing == "sigmoid":
            probabilities = 1.0 / (1.0 + np.exp(-logits))
        else:
            shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
            probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        return Visualization(
            images=images,
            activations=activations,
            probabilities=probabilities,
            names=[o.name for o in objectives],
            labels=[self.label(o) for o in objectives],
            target_classes=[
                -1 if o.target_class is None else o.target_class for o in objectives
            ],
        )


class Chunk:
    """The targets a coupled model is training now, for callbacks to read.

    Attributes:
        names: The objectives' names, one per target.
        f0: The constant generator input `(rows, features)`.
        targets: The `y` dict of `CoupledModel` (`weights`, `others`).
    """

    def __init__(self, names, f0, targets):
        self.names, self.f0, self.targets = list(names), f0, targets


class _Session:
    """A compiled coupled model, its initial state, and how to reset it.

    In a batched session every trainable variable holds one row per target
    (`alpha`, or a whole batched scratch generator), so a target's state is
    its row of each variable; otherwise (a user's generator whose own
    weights train, one target at a time) it is the variables themselves.
    """

    def __init__(self, model, f0, batched, keep_moments):
        self.model = model
        self.f0 = f0
        self.rows = f0.shape[0]
        self.batched = batched
        self.keep_moments = keep_moments
        self.initial = [v.numpy() for v in model.trainable_variables]
        self.initial_optimizer = [v.numpy() for v in model.optimizer.variables]
        self.resident = None  # (target, state) pairs of `memory` that the variables hold

    def restore(self, objectives, warm_start, memory):
        resident, self.resident = self.resident, None  # training will move them
        in_place = warm_start and self._holds(resident, objectives, memory)
        # A generator's weights go on with their optimizer's moments: reset,
        # AdaMax's first steps jolt every weight by the full learning rate
        # (shapes demo, 6 callback epochs of 10 steps: 61% of the classes
        # first instead of 94%). The scale vector of pretrained mode does
        # better with Adam's fresh first steps each time (83% against 72%).
        if not (in_place and self.keep_moments):
            for variable, value in zip(self.model.optimizer.variables, self.initial_optimizer):
                variable.assign(value)
        if in_place:
            return  # the chunk of the last warm call again: its states are in place
        states = [memory.get(o) if warm_start else None for o in objectives]
        values = [np.array(value) for value in self.initial]
        for row, state in enumerate(states):
            if state is None:
                continue
            if self.batched:
                for value, saved in zip(values, state):
                    value[row] = saved
            else:
                values = state
        for variable, value in zip(self.model.trainable_variables, values):
            variable.assign(value)

    @staticmethod
    def _holds(resident, objectives, memory):
        """Whether the variables hold `memory`'s very states of `objectives`."""
        return (
            resident is not None
            and [o for o, _ in resident] == list(objectives)
            and all(memory.get(o) is state for o, state in resident)
        )

    def remember(self, objectives, memory):
        values = [v.numpy() for v in self.model.trainable_variables]
        if not self.batched:
            memory[objectives[0]] = values
        else:
            for row, objective in enumerate(objectives):
                memory[objective] = [value[row] for value in values]
        self.resident = [(o, memory[o]) for o in objectives]

    def targets(self, plan, chunk):
        weights = np.zeros((self.rows, plan.width), "float32")
        others = np.zeros((self.rows, plan.num_classes), "float32")
        weights[: len(chunk)] = plan.weights[chunk]
        others[: len(chunk)] = plan.others[chunk]
        return {"weights": weights, "others": others}

    def outputs(self, y, count, names):
        # The compiled predict step: an eager call through a batched scratch
        # generator costs more than the few training steps of a callback epoch.
        y_pred = self.model.predict_on_batch(self.f0)
        images = keras.ops.convert_to_numpy(y_pred["pixels"])[:count]
        logits = keras.ops.convert_to_numpy(y_pred["logits"])[:count]
        activations = keras.ops.convert_to_numpy(self.model.activations(y, y_pred))[:count]
        if not (np.isfinite(images).all() and np.isfinite(logits).all()):
            raise FloatingPointError(
                f"The generated images or their logits are non-finite for "
                f"targets {names}. Received: non-finite values"
            )
        return np.round(images).astype("uint8"), activations, logits
