"""What the commands share: the answer to a mistake (`CommandError`), loading
a model and reading class names and image folders, and the argument types
and option groups of the parsers. Nothing here loads Keras at import.
"""

import argparse
import dataclasses
import difflib
import os
import sys

from keras_featviz import defaults, validation
from keras_featviz.config import GENERATOR_CHOICES, VisualizerConfig

# `--size`'s largest side (`defaults.MAX_IMAGE_SIDE`), here so that `--help`
# needs no Keras.
MAX_SIDE = defaults.MAX_IMAGE_SIDE
GENERATORS = GENERATOR_CHOICES
SEED_HELP = f"random seed (default: {defaults.COMMAND_SEED})"
APPLICATIONS = {
    "vgg16": "VGG16",
    "vgg19": "VGG19",
    "resnet50": "ResNet50",
    "resnet50v2": "ResNet50V2",
    "mobilenet": "MobileNet",
    "mobilenet_v2": "MobileNetV2",
    "inception_v3": "InceptionV3",
    "xception": "Xception",
    "densenet121": "DenseNet121",
    "efficientnetb0": "EfficientNetB0",
    "convnext_tiny": "ConvNeXtTiny",
}
APPLICATION_PREPROCESS = {
    "resnet50v2": "resnet_v2",
    "densenet121": "densenet",
    "efficientnetb0": "efficientnet",
    "convnext_tiny": "convnext",
}


# `attribution.METHODS`, here so that `--help` needs no Keras (a test
# checks that the two agree).
ATTRIBUTION_METHODS = (
    "saliency",
    "gradient_x_input",
    "smoothgrad",
    "integrated_gradients",
    "grad_cam",
    "occlusion",
)

# What the figures under each image in the grids mean.
FIGURES = (
    "Under each image: p = the classifier's probability of the target class on that image; "
    "a = the value the image maximises for a channel, unit or group target (a layer's "
    "activation: its scale is the layer's own, and it can be negative)."
)


class CommandError(Exception):
    """A problem with what the user asked for: one line, exit status 2."""


def parse_indices(text, what="--classes", names=None):
    """`"0-9,15,20-22"` -> `[0, ..., 9, 15, 20, 21, 22]`, in order, no repeats.

    With `names` (the class names), a part that is a class name stands for
    its index: `--classes pug,tabby`.
    """
    indices = []
    lookup = {name: i for i, name in enumerate(names or [])}
    for part in text.split(","):
        if part.strip() in lookup:
            if lookup[part.strip()] not in indices:
                indices.append(lookup[part.strip()])
            continue
        bounds = part.strip().split("-")
        try:
            if len(bounds) == 1:
                start = stop = int(bounds[0])
            elif len(bounds) == 2:
                start, stop = int(bounds[0]), int(bounds[1])
            else:
                raise ValueError
        except ValueError:
            hint = (
                f" ({part.strip()!r} is no class name; close ones: {', '.join(close)})"
                if names and (close := difflib.get_close_matches(part.strip(), list(lookup), n=3))
                else " or class names"
                if names
                else ""
            )
            raise CommandError(f"{what} takes indices and ranges like 0-9,15{hint}; got {text!r}") from None
        if start < 0 or stop < start:
            raise CommandError(f"{what}: the range {part.strip()!r} is empty or negative; got {text!r}")
        indices.extend(i for i in range(start, stop + 1) if i not in indices)
    return indices


def check_model_spec(spec):
    """Refuse a MODEL that is neither a file nor a known name, before Keras loads.

    Importing Keras and TensorFlow takes many seconds: a typo is told at once.
    """
    if os.path.exists(spec) or spec.lower() in APPLICATIONS:
        return
    if spec.endswith((".keras", ".h5")) or os.sep in spec:
        raise CommandError(f"no model file at {spec!r}")
    raise CommandError(
        f"unknown model {spec!r}: give a saved .keras file or one of {', '.join(APPLICATIONS)}"
    )


def check_data_path(path, what):
    """Refuse an IMAGES or DATA path that is neither a folder nor a `.npy` file, before Keras loads."""
    if os.path.isdir(path) or (path.endswith(".npy") and os.path.isfile(path)):
        return
    raise CommandError(f"no image folder or .npy file at {path!r} ({what})")


def load_classifier(spec, weights):
    """A classifier from a saved model file or a `keras.applications` name.

    Returns:
        `(model, preprocess)`: the model and the name of its preprocessing
        (`None` for a saved model).
    """
    check_model_spec(spec)
    import keras

    if os.path.exists(spec):
        try:
            return keras.saving.load_model(spec, compile=False), None
        except Exception as error:
            raise CommandError(
                f"could not read {spec!r} as a Keras model ({type(error).__name__}: {error})"
            ) from None
    name = spec.lower()
    constructor = getattr(keras.applications, APPLICATIONS[name])
    try:
        model = constructor(weights=None if weights == "none" else weights)
    except Exception as error:
        raise CommandError(
            f"could not load the {weights} weights of {name} ({type(error).__name__}: {error}); "
            f"they are downloaded on first use, so this needs internet once. "
            f"Use --weights none to run on the untrained architecture."
        ) from None
    return model, APPLICATION_PREPROCESS.get(name, name)


def read_class_names(path, count):
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            names = [line.strip() for line in handle if line.strip()]
    except OSError as error:
        raise CommandError(f"cannot read --class-names {path!r}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise CommandError(
            f"--class-names {path!r} is not UTF-8 text (byte {error.start}): one class name a line"
        ) from None
    if len(names) != count:
        raise CommandError(f"--class-names {path!r} has {len(names)} names; the model has {count} classes")
    return names


def read_folder(path, shape, what):
    """The images of a folder (or a `.npy` array), centre-cropped to the model's `(h, w, c)`,
    and their file names (`None` for an array)."""
    import numpy as np

    from keras_featviz.io.folders import load_images

    height, width, channels = shape
    if path.endswith(".npy") and os.path.isfile(path):
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise CommandError(f"cannot read {path!r} as a .npy array of images ({what}): {error}") from None
        if array.ndim != 4 or array.shape[1:] != (height, width, channels) or array.dtype.kind not in "uif":
            raise CommandError(
                f"{what} {path!r} must hold images (N, {height}, {width}, {channels}) of numbers for this "
                f"model; it holds {array.dtype} {array.shape}"
            )
        return array.astype("float32"), None
    check_data_path(path, what)
    try:
        images, names = load_images(path, (height, width), channels, return_names=True)
    except ValueError as error:
        raise CommandError(str(error)) from None
    return images.astype("float32"), names


def checked_out(out):
    try:
        validation.writable_directory(out, "--out", create=False)
    except ValueError as error:
        raise CommandError(str(error)) from None


def image_size_type(text):
    parts = text.lower().split("x")
    try:
        sizes = [int(p) for p in parts]
    except ValueError:
        sizes = []
    if len(sizes) not in (1, 2) or min(sizes) < 8 or max(sizes) > MAX_SIDE:
        raise argparse.ArgumentTypeError(
            f"must be a side like 64 or HxW like 64x48, each from 8 to {MAX_SIDE}; got {text!r}"
        )
    return (sizes[0], sizes[-1])


def side_type(text):
    """An argparse type: one image side, from 8 to `MAX_SIDE`."""
    try:
        side = int(text)
    except ValueError:
        side = 0
    if not 8 <= side <= MAX_SIDE:
        raise argparse.ArgumentTypeError(f"must be an image side from 8 to {MAX_SIDE}; got {text!r}")
    return side


def argument_type(rule):
    """An argparse type from a `validation` rule: its message, one line."""

    def parse(text):
        try:
            return rule(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def parsed_value(text, kind, name):
    try:
        return kind(text)
    except ValueError:
        raise ValueError(
            f"`{name}` must be {'an integer' if kind is int else 'a number'}. Received: {name}={text}"
        ) from None


# An argparse type: a seed every backend takes (`validation.random_seed`).
seed_type = argument_type(lambda text: validation.random_seed(parsed_value(text, int, "--seed"), "--seed"))


def positive_type(name):
    """An argparse type: an integer >= 1, checked by `validation.positive_int`."""
    return argument_type(lambda text: validation.positive_int(parsed_value(text, int, name), name))


def above_zero_type(name):
    """An argparse type: a finite number > 0, checked by `validation.number`."""
    return argument_type(
        lambda text: validation.number(parsed_value(text, float, name), name, minimum=0, inclusive=False)
    )


def auto_or(parse):
    """An argparse type: `"auto"`, or what `parse` makes of the text."""
    return lambda text: "auto" if text == "auto" else parse(text)


def add_model_options(command):
    """The options that say how to load and feed MODEL."""
    command.add_argument(
        "--weights",
        default="imagenet",
        choices=["imagenet", "none"],
        help="weights of a keras.applications model (default: imagenet, downloaded once)",
    )
    command.add_argument(
        "--preprocess",
        help="none, unit, tf, caffe, torch or a keras.applications name "
        "(default: the application's own; none for saved models)",
    )
    command.add_argument("--class-names", help="a text file with one class name per line")


def config_type(field):
    """An argparse type for a `VisualizerConfig` field: its `words`
    (`auto`, `all`) as they are, other text parsed and checked by the
    field's own rule, named by its flag."""
    meta = field.metadata
    flag, parse, check = meta["flag"], meta["parse"], meta["check"]

    def value(text):
        if text in meta["words"]:
            return text
        parsed = parsed_value(text, parse, flag) if parse in (int, float) else parse(text)
        return parsed if check is None else check(parsed, flag)

    return argument_type(value)


def add_visualizer_options(command):
    """The options that load MODEL and make its `FeatureVisualizer` (`make_visualizer`):
    one flag for each `VisualizerConfig` field that has one, from the field's metadata."""
    add_model_options(command)
    for field in dataclasses.fields(VisualizerConfig):
        meta = field.metadata
        if meta["flag"] is None:
            continue
        default = field.default if meta["cli_default"] is dataclasses.MISSING else meta["cli_default"]
        kwargs = {"dest": field.name, "help": meta["help"]}
        if meta["action"] is not None:
            kwargs["action"] = meta["action"]
        elif meta["parse"] is None:
            kwargs.update(choices=meta["choices"], default=default)
        else:
            scaled = default / meta["scale"] if meta["scale"] != 1 else default
            metavar = meta["flag"][2:].upper().replace("-", "_")
            kwargs.update(type=config_type(field), default=scaled, metavar=metavar)
        command.add_argument(meta["flag"], **kwargs)
    command.add_argument(
        "--steps",
        type=positive_type("--steps"),
        default=None,
        help=f"optimisation steps (default: {defaults.STEPS} on small images, {defaults.LARGE_IMAGE_STEPS} "
        f"on images of {defaults.LARGE_IMAGE_SIDE} pixels a side or more)",
    )
    command.add_argument(
        "--pre-activation",
        action="store_true",
        help="read --layer before its activation (a fused ReLU holds a dead filter at 0)",
    )


def config_of(args, **options):
    """The `VisualizerConfig` of the flags `add_visualizer_options` added, with `options`.

    Raises:
        CommandError: for values that break an option's rule together
            (`--mode pretrained` without `--decoder`), or a missing decoder
            file.
    """
    for field in dataclasses.fields(VisualizerConfig):
        if field.metadata["flag"] is not None and field.name not in options:
            value = getattr(args, field.name)
            options[field.name] = value * field.metadata["scale"] if field.metadata["scale"] != 1 else value
    try:
        return VisualizerConfig(**options)
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None


def targets_of(args, count, channel_count, names=None):
    """The targets `--classes`, `--layer`, `--channels` ask for.

    Args:
        args: The parsed arguments.
        count: Int, the model's classes.
        channel_count: Callable, a layer name to its channel count (raises
            `ValueError` for an unknown layer).
        names: The class names, which `--classes` takes as well as
            indices, or `None`.
    """
    from keras_featviz import objectives

    targets = []
    if args.classes is not None and not args.classes.strip():
        raise CommandError("--classes is empty: give indices like 0-9,15, or leave it out for every class")
    if args.classes is not None or args.layer is None:
        every = not args.classes or args.classes.strip() == "all"
        classes = list(range(count)) if every else parse_indices(args.classes, names=names)
        bad = [c for c in classes if c >= count]
        if bad:
            raise CommandError(f"--classes: the model has {count} classes (0-{count - 1}); got {bad[0]}")
        targets += classes
    if args.layer is not None:
        targets += [
            objectives.channel(args.layer, c, pre_activation=args.pre_activation)
            for c in channels_of(args, channel_count)
        ]
    elif args.channels is not None:
        raise CommandError("--channels needs --layer NAME")
    return targets


def channels_of(args, channel_count):
    try:
        count = channel_count(args.layer)
    except ValueError as error:
        raise CommandError(f"--layer: {error}") from None
    channels = parse_indices(args.channels, "--channels") if args.channels else list(range(count))
    bad = [c for c in channels if c >= count]
    if bad:
        raise CommandError(
            f"--channels: layer {args.layer!r} has {count} channels (0-{count - 1}); got {bad[0]}"
        )
    return channels


def note_raw_pixels(model, preprocess):
    """Say so when images go to a model as 0-255 pixels and nothing in it rescales them.

    A model trained on 0-1 or -1..1 inputs reads 0-255 pixels as a blinding
    glare: its maps and examples would then be wrong without a word.
    """
    if preprocess not in (None, "none"):
        return
    rescaling = ("Rescaling", "Normalization")
    if any(type(layer).__name__ in rescaling for layer in model.layers[:3]):
        return
    print(
        "note: the images go to the model as 0-255 pixels (no --preprocess), and its first layers "
        "do not rescale them; if it was trained on 0-1 or -1..1 inputs, pass --preprocess unit or tf.",
        file=sys.stderr,
    )
