"""`VisualizerConfig`: every option of `FeatureVisualizer`, checked once.

The visualizer, the three callbacks, the demo and the command line all
build or take one `VisualizerConfig`; none of them lists the options
again. A field's default comes from `defaults`, its rule from
`validation`, and (where the command line has a flag for it) its flag and
help from the field's metadata, which `cli.common` reads to build the
parser. Adding an option is one field here and the code that uses it.

This module imports no Keras: the command line's `--help` reads it. Rules
that need Keras (a generator model, an optimizer, a transforms layer) load
it when a configuration is made.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from keras_featviz import defaults
from keras_featviz.validation import boolean, number, one_of, positive_int, random_seed

AUTO = "auto"
# The choices of the options that have a fixed set of names, written once
# here for the library and the command line alike.
# `"auto"`, then the modes (`generator_source.GENERATOR_MODES`).
GENERATOR_CHOICES = (AUTO, "scratch", "pretrained", "pixels", "fourier", "fourier_phase")
PRECISIONS = (None, "float32", "mixed_bfloat16", "mixed_float16")
TRANSFORM_PRESETS = ("auto", "standard", "strong", "none")
COLOR_CHOICES = ("auto", "rgb", "decorrelated")
HEADS = ("auto", "softmax", "sigmoid", "probabilities")
JIT_CHOICES = (True, False, "auto")


def _option(
    default,
    check=None,
    help=None,
    flag=None,
    parse=None,
    choices=None,
    cli_default=dataclasses.MISSING,
    scale=1,
    action=None,
    words=(),
    example=None,
):
    """A field with its rule and its command-line flag (if any) in its metadata.

    Args:
        default: The library's default.
        check: `rule(value, name)` returning the value checked (a
            `validation` rule), or `None` where the rule needs Keras (see
            `VisualizerConfig.__post_init__`).
        help: The flag's help.
        flag: The option's name on the command line, or `None` for none.
        parse: What turns the flag's text into a value before `check`.
        choices: The flag's choices, for options that are names.
        cli_default: The command line's default where it differs.
        scale: The flag's unit in the option's (`--memory-gb`: 2**30).
        action: An argparse action such as `"store_true"`.
        words: The flag's words taken as they are (`auto`, `all`).
        example: A value a user might set, for the tests to pass through
            every consumer of the configuration. Defaults to `None`.
    """
    metadata = {
        "check": check,
        "help": help,
        "flag": flag,
        "parse": parse,
        "choices": choices,
        "cli_default": cli_default,
        "scale": scale,
        "action": action,
        "words": tuple(words),
        "example": example,
    }
    return dataclasses.field(default=default, metadata=metadata)


def _or_auto(rule):
    """`rule`, with `"auto"` allowed as well."""
    return lambda value, name: value if isinstance(value, str) and value == AUTO else rule(value, name)


def _auto_bool(text):
    """A flag's `true` or `false`."""
    words = {"true": True, "false": False}
    if text not in words:
        raise ValueError(f"must be auto, true or false. Received: {text!r}")
    return words[text]


def _choice(choices):
    return lambda value, name: one_of(value, name, choices)


def _devices(value, name):
    """`"auto"`, `"all"`, `None`, a number of devices >= 1, or a mesh,
    distribution or `TargetParallel` (checked by `devices.target_parallel`)."""
    if value is None or isinstance(value, str) and value in ("auto", "all"):
        return value
    if isinstance(value, (int, float, str)):
        return positive_int(value, name)
    return value


def _optional_number(value, name):
    return number(value, name, minimum=0, optional=True)


@dataclasses.dataclass(frozen=True)
class VisualizerConfig:
    """Every option of `FeatureVisualizer`, checked when it is made.

    `FeatureVisualizer(model, **options)`, the callbacks' `**options` and
    the command line's flags all make one of these; pass one as `config=`
    to share a setup between a visualizer and a callback. Values are
    checked here, before any model is built; what depends on the
    classifier (`"auto"` values, class names, the input shape) is resolved
    by the visualizer.

    Args:
        generator: How the image is made. `"scratch"` (section 4.1: the
            generator trains from random weights), `"pretrained"` (section
            4.2: a frozen decoder, only its input scale `alpha` trains), a
            `keras.Model` mapping a vector to an image (shown as
            `127.5 * (1 + tanh(g))`; its weights train if any are
            trainable, else only `alpha` does), or an image
            parameterisation without a generator network, for comparison:
            `"pixels"`, `"fourier"` (Lucid's) or `"fourier_phase"`
            (MACO's); see `keras_featviz.makers.parameterizations`. Or `"auto"`:
            `"fourier"`, on images of every size: on real ImageNet models
            independent models of another family recognised its class
            images far more often than the scratch generator's; on small
            32x32 classifiers it was recognised as often or more, and
            revealed planted cues more often, at a fraction of the cost
            (`benchmarks/real_models.py`, `benchmarks/small_images.py`;
            README). Defaults to
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
            (`keras_featviz.makers.costs`). Defaults to `defaults.WIDTH`
            (`"auto"`).
        batch_size: Int, the most targets trained together (a chunk), in
            scratch and pretrained mode alike; a user's generator with
            trainable weights runs one target at a time. Defaults to
            `defaults.BATCH_SIZE` (64).
        optimizer: A Keras optimizer (copied for each compiled model),
            `"paper"` for Table 1's (AdaMax 0.002 scratch, SGD 0.01 Nesterov
            pretrained), or `None` for AdaMax 0.01 in scratch mode and Adam
            0.1 in pretrained mode (see `optimizers.default_optimizer`).
            Defaults to `None`.
        class_names: Optional list naming every class, for labels, tags and
            file names. `None` names a 1,000-class classifier's classes by
            ImageNet's (`keras_featviz.io.imagenet`), and leaves others as
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
            it pays off only past a few hundred steps. Under XLA the
            transforms resample with gathers (`transforms.RandomAffine`'s
            `resampling`): TensorFlow's own affine kernel has no XLA
            version. Defaults to `"auto"`.
        memory_budget: Number of bytes a step may keep for the backward
            pass; chunks are cut smaller than `batch_size` to stay under it
            (see `keras_featviz.optimization.memory`). The default, 4 GiB, runs VGG16 at
            224x224 in chunks of 22 targets (pretrained) or 7 (scratch),
            about 5.5 GB at the peak; on a large GPU raise it. Defaults to
            `defaults.MEMORY_BUDGET` (`4 * 2**30`).
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
        transforms: `"auto"`, `"standard"` (Lucid's), `"strong"`, `"none"`
            or a Keras layer: random changes of the image before the
            classifier at every step (see
            `keras_featviz.optimization.transforms`). `"auto"` is, for
            images of 128 pixels or more a side, `"strong"` for Lucid's,
            MACO's and pixel images and `"standard"` for generator
            networks; below, `"standard"` for those images and `"none"`
            for generator networks. `RandomAffine(shift, scale, degrees,
            fill_mode=...)` from that module makes your own, with your
            data's plain background brought in from beyond the border
            (`fill_mode="constant", fill_value=...`) rather than the
            image's mirror image. Defaults to `defaults.TRANSFORMS`
            (`"auto"`).
        downsample: Int >= 1, the scratch generator makes an image this
            many times smaller a side, enlarged bilinearly: its cost falls
            with the square. Defaults to `defaults.DOWNSAMPLE` (1).
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
        statistics_weight: Float >= 0 or `"auto"`, the weight of the
            statistics prior: for each image, how far the channel means and
            variances at the input of every BatchNormalization layer of the
            classifier stray from the moving statistics that layer kept in
            training (DeepInversion's prior, per image; see
            `surgery.StatisticsGap`). It keeps the image's features at the
            scale and spread of the training photos' features. `"auto"`
            is `defaults.LARGE_IMAGE_STATISTICS_WEIGHT` for Lucid's image
            (`"fourier"`, the default maker) on images of 128 pixels a side
            or more of a classifier with such layers, where models of
            another family recognised its class images far more often with
            it (README); 0 otherwise. Defaults to
            `defaults.STATISTICS_WEIGHT` (`"auto"`).
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
            rounding. A user's generator whose own weights train (one
            target at a time) runs on one device. Defaults to
            `defaults.DEVICES` (`"auto"`).

    Example:

    ```python
    config = keras_featviz.VisualizerConfig(generator="scratch", seed=0)
    visualizer = keras_featviz.FeatureVisualizer(model, config=config)
    callback = keras_featviz.callbacks.FeatureVisualizationCallback(config=config)
    wider = config.replace(width=0.5)
    ```

    Raises:
        ValueError: for a value that breaks its option's rule (the rule,
            then `Received: name=value`); `FileNotFoundError` for a
            missing decoder file.
        TypeError: from `replace` and `from_options` for a name that is not
            an option.
    """

    generator: Any = _option(
        defaults.GENERATOR,
        flag="--mode",
        choices=GENERATOR_CHOICES,
        help="how the image is made: the paper's generator trained from scratch, a pretrained "
        "decoder, or an image parameterisation (pixels, Lucid's fourier, MACO's fourier_phase); "
        "auto is fourier on images of every size (default: auto)",
        example="fourier",
    )
    decoder: Any = _option(
        None, flag="--decoder", help="the autoencoder .keras file of --mode pretrained (see train-dae)"
    )
    preprocess: Any = _option(None, example="unit")
    penalty: float | None = _option(
        None,
        _optional_number,
        flag="--penalty",
        parse=float,
        help="weight of each other class in the loss (Eq. 2's lambda; default: min(1, 10 / classes))",
        example=0.5,
    )
    seed: int | None = _option(
        defaults.SEED,
        random_seed,
        flag="--seed",
        parse=int,
        cli_default=defaults.COMMAND_SEED,
        help=f"random seed (default: {defaults.COMMAND_SEED})",
        example=7,
    )
    width: float | str = _option(
        defaults.WIDTH,
        _or_auto(
            lambda value, name: number(value, name, minimum=0, inclusive=False, maximum=defaults.MAX_WIDTH)
        ),
        flag="--width",
        parse=float,
        words=(AUTO,),
        help="scratch generator width multiplier, 1 is the paper's; auto: 1 below "
        f"{defaults.LARGE_IMAGE_SIDE} pixels a side, else sized to cost at most the "
        f"classifier (default: {defaults.WIDTH})",
        example=0.5,
    )
    batch_size: int = _option(
        defaults.BATCH_SIZE,
        positive_int,
        flag="--batch-size",
        parse=int,
        help=f"most targets per step (default: {defaults.BATCH_SIZE})",
        example=3,
    )
    optimizer: Any = _option(None, example="paper")
    class_names: Any = _option(None, example=("red", "green", "blue"))
    paper_loss: bool = _option(
        defaults.PAPER_LOSS,
        boolean,
        flag="--paper-loss",
        action="store_true",
        help="Eq. 2 to the letter: a class whose logit is negative gets no gradient",
        example=True,
    )
    noise: float | None = _option(
        None,
        _optional_number,
        flag="--noise",
        parse=float,
        help="sigma of the feature-vector noise (default: none in scratch mode, 0.05 pretrained)",
        example=0.1,
    )
    jit_compile: bool | str = _option(defaults.JIT_COMPILE, _choice(JIT_CHOICES), example=False)
    memory_budget: float = _option(
        defaults.MEMORY_BUDGET,
        lambda value, name: number(value, name, minimum=0, inclusive=False),
        flag="--memory-gb",
        parse=float,
        scale=2**30,
        help="memory a step may keep; cuts smaller chunks to fit "
        f"(default: {defaults.MEMORY_BUDGET / 2**30:g})",
        example=2.0**30,
    )
    precision: str | None = _option(
        None,
        _choice(PRECISIONS),
        flag="--precision",
        choices=PRECISIONS[1:],
        help="mixed precision for the generator and the classifier's copy: mixed_bfloat16 on "
        "CPUs with bfloat16 units, mixed_float16 on GPUs (default: float32 generator, "
        "the model's own policy)",
        example="float32",
    )
    transforms: Any = _option(
        defaults.TRANSFORMS,
        flag="--transforms",
        choices=TRANSFORM_PRESETS,
        help="random shift, zoom and rotation before the classifier at each step; standard: "
        "Lucid's; auto: strong for fourier images and standard for generators on images of "
        f"{defaults.LARGE_IMAGE_SIDE} pixels or more, standard and none below (default: {defaults.TRANSFORMS})",
        example="standard",
    )
    downsample: int = _option(
        defaults.DOWNSAMPLE,
        positive_int,
        flag="--downsample",
        parse=int,
        help="the scratch generator makes an image this many times smaller a side, enlarged "
        f"(default: {defaults.DOWNSAMPLE})",
        example=2,
    )
    colors: str = _option(
        defaults.COLORS,
        _choice(COLOR_CHOICES),
        flag="--colors",
        choices=COLOR_CHOICES,
        help="the scratch generator's colours: rgb (the paper's) or natural images' decorrelated "
        f"axes; auto: decorrelated from {defaults.LARGE_IMAGE_SIDE} pixels a side "
        f"(default: {defaults.COLORS})",
        example="decorrelated",
    )
    input_shape: tuple[int, int, int] | None = _option(None)
    head: str = _option(
        defaults.HEAD,
        _choice(HEADS),
        flag="--head",
        choices=HEADS,
        help="what the model outputs, where it cannot be recognised (default: auto)",
        example="softmax",
    )
    pyramid: bool | str = _option(
        defaults.PYRAMID,
        _or_auto(boolean),
        flag="--pyramid",
        parse=_auto_bool,
        words=(AUTO,),
        help="the scratch generator's multi-scale output: auto, true or false; auto: true from "
        f"{defaults.LARGE_IMAGE_SIDE} pixels a side (default: {defaults.PYRAMID})",
        example=True,
    )
    statistics_weight: float | str = _option(
        defaults.STATISTICS_WEIGHT,
        _or_auto(lambda value, name: number(value, name, minimum=0)),
        flag="--statistics-weight",
        parse=float,
        words=(AUTO,),
        help="weight of the prior that keeps the image's feature statistics at each BatchNormalization "
        f"layer's training ones; auto: {defaults.LARGE_IMAGE_STATISTICS_WEIGHT:g} for fourier images from "
        f"{defaults.LARGE_IMAGE_SIDE} pixels a side on a model with such layers, else 0 "
        f"(default: {defaults.STATISTICS_WEIGHT})",
        example=0.0,
    )
    devices: Any = _option(
        defaults.DEVICES,
        _devices,
        flag="--devices",
        parse=int,
        words=("all",),
        cli_default=defaults.CLI_DEVICES,
        help="on the JAX backend, the devices each chunk of targets is cut across: all, or a number "
        f"(default: {defaults.CLI_DEVICES}; other backends use their default device)",
    )

    def __post_init__(self):
        # Each option's own rule first, then those that need Keras.
        # Imported here: the command line reads this module without Keras.
        from keras_featviz.makers.generator_source import check_mode
        from keras_featviz.optimization.optimizers import check_optimizer
        from keras_featviz.optimization.transforms import get as get_transforms
        from keras_featviz.preprocessing import get as get_preprocessing

        check_mode(self.generator, self.decoder)
        check_optimizer(self.optimizer)
        get_preprocessing(self.preprocess)
        if not (isinstance(self.transforms, str) and self.transforms == AUTO):
            get_transforms(self.transforms)
        for field in dataclasses.fields(self):
            check = field.metadata["check"]
            if check is not None:
                object.__setattr__(self, field.name, check(getattr(self, field.name), field.name))

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        """The names of every option, in order."""
        return tuple(field.name for field in dataclasses.fields(cls))

    @classmethod
    def from_options(cls, config: VisualizerConfig | None = None, **options) -> VisualizerConfig:
        """`config` (or the defaults) with `options` in place of its values.

        Raises:
            TypeError: for a `config` that is not a `VisualizerConfig`, or
                an option name that is not a field.
        """
        if config is None:
            config = cls()
        elif not isinstance(config, VisualizerConfig):
            raise TypeError(f"`config` must be a VisualizerConfig or None. Received: config={config!r}")
        return config.replace(**options)

    def replace(self, **options) -> VisualizerConfig:
        """A copy with `options` changed, checked again.

        Raises:
            TypeError: for a name that is not an option, with the options.
        """
        unknown = sorted(set(options) - set(self.option_names()))
        if unknown:
            raise TypeError(
                f"Unknown visualizer options {unknown}: the options are the fields of "
                f"VisualizerConfig, {list(self.option_names())}. Received: {options}"
            )
        return dataclasses.replace(self, **options) if options else self

    @classmethod
    def for_callback(cls, config: VisualizerConfig | None = None, **options) -> VisualizerConfig:
        """The configuration of a training callback: the library's, with the
        callbacks' own defaults where `config` and `options` name none.

        A callback runs a few steps an epoch, warm-started, on the model as
        it trains: the scratch generator (`defaults.CALLBACK_GENERATOR`),
        seed `defaults.CALLBACK_SEED` for images that change only with the
        model, and for the scratch generator `defaults.CALLBACK_WIDTH`
        (the paper's width costs about 16 times more per step).
        """
        chosen = set(options) if config is None else set(options) | config.changed()
        callback = {"generator": defaults.CALLBACK_GENERATOR, "seed": defaults.CALLBACK_SEED}
        callback = {name: value for name, value in callback.items() if name not in chosen}
        merged = cls.from_options(config, **callback, **options)
        if "width" not in chosen and merged.generator == "scratch":
            merged = merged.replace(width=defaults.CALLBACK_WIDTH)
        return merged

    def changed(self) -> set[str]:
        """The names of the options set to something else than their default."""
        return {
            field.name
            for field in dataclasses.fields(self)
            if not _same(getattr(self, field.name), field.default)
        }


def _same(value, default):
    """Whether an option's value is its default (a model or layer never is)."""
    if isinstance(value, bool) or isinstance(default, bool):
        return value is default
    if isinstance(value, (int, float)) and isinstance(default, (int, float)):
        return value == default
    if isinstance(value, (str, type(None))):
        return type(value) is type(default) and value == default
    return False
