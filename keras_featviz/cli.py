"""The `keras-featviz` command line.

- `keras-featviz demo` runs the whole method on data the package makes
  itself: it trains a small CNN on the synthetic shapes (one class carrying a
  planted cue), pretrains a denoising autoencoder on them, visualizes every
  class in both generator modes, and writes PNGs and labelled grids.
- `keras-featviz visualize MODEL` visualizes the classes or filters of a
  saved `.keras` model or a `keras.applications` model.
- `keras-featviz train-dae IMAGES_DIR` trains the denoising autoencoder whose
  decoder is the pretrained generator.
- `keras-featviz attribute MODEL IMAGES` draws attribution maps (saliency,
  Grad-CAM, ...) of a folder of images.
- `keras-featviz examples MODEL DATA` finds the images of a dataset each class
  or filter responds to most.

A mistake in what was asked (a bad path, range or model name) is answered
with one line on stderr and exit status 2, before any long computation.
"""

import argparse
import difflib
import os
import sys
import time

from keras_featviz import __version__, defaults, validation


def demo(args):
    from keras_featviz.demo import run_demo

    run_demo(
        out=args.out,
        size=args.size,
        classes=args.classes,
        train=args.train,
        epochs=args.epochs,
        dae_epochs=args.dae_epochs,
        steps=args.steps,
        callback_steps=args.callback_steps,
        cue_class=args.cue_class,
        seed=args.seed,
        augmented=not args.no_augment,
    )
    return 0


# `--size`'s largest side (`defaults.MAX_IMAGE_SIDE`), here so that `--help`
# needs no Keras.
MAX_SIDE = defaults.MAX_IMAGE_SIDE
# The generator choices of `generator_source.GENERATOR_MODES`, here so that `--help`
# needs no Keras (a test checks that the two agree).
GENERATORS = ("auto", "scratch", "pretrained", "pixels", "fourier", "fourier_phase")
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


def _read_class_names(path, count):
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


def _targets(args, count, channel_count, names=None):
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
        classes = parse_indices(args.classes, names=names) if args.classes else list(range(count))
        bad = [c for c in classes if c >= count]
        if bad:
            raise CommandError(f"--classes: the model has {count} classes (0-{count - 1}); got {bad[0]}")
        targets += classes
    if args.layer is not None:
        targets += [
            objectives.channel(args.layer, c, pre_activation=args.pre_activation)
            for c in _channels(args, channel_count)
        ]
    elif args.channels is not None:
        raise CommandError("--channels needs --layer NAME")
    return targets


def _channels(args, channel_count):
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


def _make_visualizer(args, check_out=True):
    """`(model, visualizer, preprocess)` for the options of `_visualizer_options`.

    The output folders and the generator options are checked before the
    model loads.
    """
    import keras_featviz
    from keras_featviz import preprocessing
    from keras_featviz.generator_source import check_mode
    from keras_featviz.tensorboard import import_tensorflow

    try:
        check_mode(args.mode, args.decoder)
        if args.preprocess is not None:
            preprocessing.get(args.preprocess)
        # Output folders are checked before the long run, not after it.
        if check_out and args.out:
            validation.writable_directory(args.out, "--out", create=False)
        if getattr(args, "logdir", None) is not None:
            validation.writable_directory(args.logdir, "--logdir", create=False)
            import_tensorflow(quiet=True)  # its summary writer, on any backend
    except (ValueError, FileNotFoundError, ImportError) as error:
        raise CommandError(str(error)) from None
    _start_processes(args)
    model, preprocess = load_classifier(args.model, args.weights)
    preprocess = args.preprocess or preprocess
    try:
        visualizer = keras_featviz.FeatureVisualizer(
            model,
            args.mode,
            decoder=args.decoder,
            preprocess=preprocess,
            seed=args.seed,
            width=args.width,
            batch_size=args.batch_size,
            memory_budget=args.memory_gb * 2**30,
            precision=args.precision,
            transforms=args.transforms,
            devices=args.devices,
        )
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None
    if args.class_names is not None:
        visualizer.class_names = _read_class_names(args.class_names, visualizer.probe.num_classes)
    return model, visualizer, preprocess


def _start_processes(args):
    """Join a multi-process JAX job when `--coordinator` and the rest are given."""
    given = [getattr(args, name, None) for name in ("coordinator", "num_processes", "process_id")]
    if all(value is None for value in given):
        return
    if any(value is None for value in given):
        raise CommandError("--coordinator, --num-processes and --process-id go together")
    if not 0 <= args.process_id < args.num_processes:
        raise CommandError(
            f"--process-id must be 0 to {args.num_processes - 1} (--num-processes {args.num_processes}); "
            f"got {args.process_id}"
        )
    import keras

    if keras.backend.backend() != "jax":
        raise CommandError(
            f"several processes need the JAX backend (KERAS_BACKEND=jax); the backend is "
            f"{keras.backend.backend()}. On other backends split a sweep with --shard i/N"
        )
    keras.distribution.initialize(args.coordinator, args.num_processes, args.process_id)


def _devices_note(visualizer):
    return f", {visualizer.shards} devices" if visualizer.shards > 1 else ""


def visualize(args):
    from keras_featviz.tensorboard import EventWriter, log_visualization

    model, visualizer, preprocess = _make_visualizer(args)
    targets = _targets(
        args,
        visualizer.probe.num_classes,
        lambda layer: visualizer.layer_shape(layer)[-1],
        names=visualizer.class_names,
    )
    print(
        f"Visualizing {len(targets)} targets of {model.name!r} ({visualizer.source.mode} generator, "
        f"{args.steps or 'default'} steps, preprocess={preprocess or 'none'}{_devices_note(visualizer)})..."
    )
    started = time.time()
    result = visualizer.visualize(targets, steps=args.steps, verbose="auto")
    print(f"{len(result)} targets in {time.time() - started:.0f} s", end="")
    rate = result.success_rate
    print("." if rate != rate else f"; {rate:.0%} of the classes ranked first on their image.")
    print(FIGURES)
    if args.out:
        paths = result.save(args.out, per_sheet=args.per_sheet)
        print(f"Wrote {len(paths)} PNGs and grids to {args.out}")
    if args.logdir:
        writer = EventWriter(os.path.join(args.logdir, "featviz"))
        log_visualization(writer, result, step=0)
        writer.close()
        print(f"Wrote TensorBoard logs; look with: tensorboard --logdir {args.logdir}")
    return 0


def atlas(args):
    from keras_featviz.atlas import make_atlas

    if args.classes is None and not args.layers:
        args.classes = "all"
    model, visualizer, preprocess = _make_visualizer(args)
    classes = args.classes
    if classes is not None and classes != "all":
        classes = parse_indices(classes, names=visualizer.class_names)
        count = visualizer.probe.num_classes
        bad = [c for c in classes if c >= count]
        if bad:
            raise CommandError(f"--classes: the model has {count} classes (0-{count - 1}); got {bad[0]}")
    layers = [name.strip() for name in (args.layers or "").split(",") if name.strip()]
    print(
        f"Atlas of {model.name!r} into {args.out} ({visualizer.source.mode} generator, "
        f"{args.steps or 'default'} steps, preprocess={preprocess or 'none'}{_devices_note(visualizer)})"
    )
    try:
        index = make_atlas(
            visualizer,
            args.out,
            classes=classes,
            layers=layers,
            steps=args.steps,
            chunk_size=args.chunk,
            shard=args.shard,
            pre_activation=args.pre_activation,
            verbose="auto",
        )
    except ValueError as error:
        raise CommandError(str(error)) from None
    if index is not None:
        print(f"{len(index['targets'])} targets; grids: {', '.join(index['grids'])}. {FIGURES}")
    return 0


def layers(args):
    """Print the layers one can target: name, output shape, channels, activation."""
    from keras_featviz.surgery import target_layers

    model, _ = load_classifier(args.model, args.weights)
    rows = target_layers(model)
    width = max(len(row["name"]) for row in rows)
    print(f"{'layer':<{width}}  {'output':<20}{'channels':>9}  activation")
    for row in rows:
        shape = "x".join("?" if d is None else str(d) for d in row["shape"])
        print(f"{row['name']:<{width}}  {shape:<20}{row['channels']:>9}  {row['activation'] or '-'}")
    print(
        f"{len(rows)} layers. Target one with: keras-featviz visualize {args.model} --layer NAME "
        f"[--channels 0-15] [--pre-activation]"
    )
    return 0


def _image_size(text):
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


def _side(text):
    """An argparse type: one image side, from 8 to `MAX_SIDE`."""
    try:
        side = int(text)
    except ValueError:
        side = 0
    if not 8 <= side <= MAX_SIDE:
        raise argparse.ArgumentTypeError(f"must be an image side from 8 to {MAX_SIDE}; got {text!r}")
    return side


def train_dae(args):
    from keras_featviz.autoencoder import DenoisingAutoencoder
    from keras_featviz.data import read_images
    from keras_featviz.results import write_atomically

    if not os.path.isdir(args.images):
        raise CommandError(f"no image folder at {args.images!r}")
    height, width = args.size
    try:
        # Everything that can be wrong is found before the training.
        validation.writable_file(args.out, "--out", ".keras")
        dae = DenoisingAutoencoder(
            (height, width, args.channels), width=args.width, seed=args.seed, downsample=args.downsample
        )
        images = read_images(args.images, args.channels, max_side=2 * max(height, width))
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None
    sizes = sorted(min(image.shape[:2]) for image in images)
    made = f", making images {dae.downsample}x smaller a side" if dae.downsample > 1 else ""
    print(
        f"Training a {height}x{width}x{args.channels} denoising autoencoder (width {dae.width:g}{made}) "
        f"for {args.epochs} epochs on random {height}x{width} crops and mirror images of "
        f"{len(images)} images in {args.images} (shorter sides {sizes[0]}-{sizes[-1]} px)..."
    )
    dae.fit_images(images, epochs=args.epochs, batch_size=args.batch_size, verbose="auto")
    write_atomically(args.out, dae.save)
    print(
        f"Wrote {args.out}; use it with: keras-featviz visualize MODEL --mode pretrained --decoder {args.out}"
    )
    return 0


def _note_raw_pixels(model, preprocess):
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


def _read_folder(path, shape, what):
    """The images of a folder (or a `.npy` array), centre-cropped to the model's `(h, w, c)`,
    and their file names (`None` for an array)."""
    import numpy as np

    from keras_featviz.data import load_images

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


def _checked_out(out):
    try:
        validation.writable_directory(out, "--out", create=False)
    except ValueError as error:
        raise CommandError(str(error)) from None


def attribute(args):
    """Attribution maps of a folder of images: a labelled PNG sheet, a row per image."""
    from keras_featviz.attribution import Attributor, check_methods

    try:
        methods = check_methods([m.strip() for m in args.methods.split(",") if m.strip()])
    except ValueError as error:
        raise CommandError(f"--methods: {error}") from None
    _checked_out(args.out)
    model, preprocess = load_classifier(args.model, args.weights)
    preprocess = args.preprocess or preprocess
    _note_raw_pixels(model, preprocess)
    try:
        attributor = Attributor(model, preprocess=preprocess, layer=args.layer or "auto", seed=args.seed)
    except ValueError as error:
        raise CommandError(str(error)) from None
    if args.class_names is not None:
        attributor.class_names = _read_class_names(args.class_names, attributor.num_classes)
    images, _ = _read_folder(args.images, attributor.image_shape, "IMAGES")
    target = args.target
    if target is not None and target.isdigit():
        target = int(target)
    print(f"Attributing {len(images)} images of {args.images} to {model.name!r} with {', '.join(methods)}...")
    started = time.time()
    try:
        result = attributor.attribute(images, methods, target)
    except ValueError as error:
        raise CommandError(str(error)) from None
    paths = result.save(args.out, per_sheet=args.per_sheet)
    print(
        f"{len(images)} images in {time.time() - started:.0f} s. Each row: the image, then each "
        "method's map over it (brighter = more); its title: the class the maps explain and its "
        f"probability. Wrote {', '.join(paths)}"
    )
    return 0


def examples(args):
    """The images of DATA each target responds to most: a labelled PNG sheet, a row per target."""
    from keras_featviz.examples import ExampleFinder
    from keras_featviz.imagenet import resolve_names
    from keras_featviz.surgery import class_count, target_layers, unknown_layer_error

    _checked_out(args.out)
    model, preprocess = load_classifier(args.model, args.weights)
    preprocess = args.preprocess or preprocess
    _note_raw_pixels(model, preprocess)
    layers = {row["name"]: row["channels"] for row in target_layers(model)}

    def channel_count(layer):
        if layer not in layers:
            raise unknown_layer_error(layer, model)
        return layers[layer]

    count = class_count(model)
    names = _read_class_names(args.class_names, count)
    targets = _targets(args, count, channel_count, names=resolve_names(names, count))
    try:
        finder = ExampleFinder(model, targets, k=args.k, preprocess=preprocess, class_names=names)
    except ValueError as error:
        raise CommandError(str(error)) from None
    images, sources = _read_folder(args.data, finder.image_shape, "DATA")
    print(f"Finding the top {args.k} of {len(images)} images for {len(targets)} targets of {model.name!r}...")
    started = time.time()
    found = finder.find(images, sources=sources)
    paths = found.save(args.out, per_sheet=args.per_sheet)
    print(
        f"{len(found)} targets in {time.time() - started:.0f} s. Each row: a target's images, "
        "best first; under each: its file (or its number in a .npy DATA) and a = the target's value "
        f"on it (a class's logit, a channel's mean). Wrote {', '.join(paths)}"
    )
    return 0


def _argument(rule):
    """An argparse type from a `validation` rule: its message, one line."""

    def parse(text):
        try:
            return rule(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _parsed(text, kind, name):
    try:
        return kind(text)
    except ValueError:
        raise ValueError(
            f"`{name}` must be {'an integer' if kind is int else 'a number'}. Received: {name}={text}"
        ) from None


# An argparse type: a seed every backend takes (`validation.random_seed`).
_seed = _argument(lambda text: validation.random_seed(_parsed(text, int, "--seed"), "--seed"))


def _positive(name):
    """An argparse type: an integer >= 1, checked by `validation.positive_int`."""
    return _argument(lambda text: validation.positive_int(_parsed(text, int, name), name))


def _above_zero(name):
    """An argparse type: a finite number > 0, checked by `validation.number`."""
    return _argument(
        lambda text: validation.number(_parsed(text, float, name), name, minimum=0, inclusive=False)
    )


def _auto_or(parse):
    """An argparse type: `"auto"`, or what `parse` makes of the text."""
    return lambda text: "auto" if text == "auto" else parse(text)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-featviz",
        description="See what a Keras image classifier has learnt (Despraz et al.).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="train a shapes classifier and visualize every class")
    run.add_argument("--out", default="featviz-demo", help="output folder (default: featviz-demo)")
    run.add_argument(
        "--size",
        type=_side,
        default=defaults.DEMO_SIDE,
        help=f"image side, 8 to {MAX_SIDE} (default: {defaults.DEMO_SIDE})",
    )
    run.add_argument(
        "--classes",
        type=_positive("--classes"),
        default=defaults.DEMO_CLASSES,
        help=f"number of shape classes, up to 18 (default: {defaults.DEMO_CLASSES})",
    )
    run.add_argument(
        "--train",
        type=_positive("--train"),
        default=defaults.DEMO_TRAIN,
        help=f"training images (default: {defaults.DEMO_TRAIN})",
    )
    run.add_argument(
        "--epochs",
        type=_positive("--epochs"),
        default=defaults.DEMO_EPOCHS,
        help=f"classifier epochs (default: {defaults.DEMO_EPOCHS})",
    )
    run.add_argument(
        "--no-augment",
        action="store_true",
        help="train the classifier on the plain shapes only, without blurred, dimmed and brightened copies",
    )
    run.add_argument(
        "--dae-epochs",
        type=_positive("--dae-epochs"),
        default=defaults.DEMO_DAE_EPOCHS,
        help=f"autoencoder epochs (default: {defaults.DEMO_DAE_EPOCHS})",
    )
    run.add_argument(
        "--steps",
        type=_positive("--steps"),
        default=defaults.DEMO_STEPS,
        help=f"optimisation steps per target (default: {defaults.DEMO_STEPS})",
    )
    run.add_argument(
        "--callback-steps",
        type=_positive("--callback-steps"),
        default=defaults.CALLBACK_STEPS,
        help="most steps per epoch of the training callback, which keeps within a "
        f"tenth of training (default: {defaults.CALLBACK_STEPS})",
    )
    run.add_argument(
        "--cue-class",
        type=int,
        default=defaults.DEMO_CUE_CLASS,
        help=f"class with the planted cue (default: {defaults.DEMO_CUE_CLASS})",
    )
    run.add_argument("--seed", type=_seed, default=defaults.COMMAND_SEED, help=SEED_HELP)
    run.set_defaults(handler=demo)

    see = commands.add_parser(
        "visualize",
        help="visualize the classes or filters of a saved model or a keras.applications model",
        description="Make the image each class (or filter) of MODEL responds to most. MODEL is a saved "
        ".keras file or a keras.applications name: " + ", ".join(APPLICATIONS) + ".",
    )
    see.add_argument("model", help="a .keras file or a keras.applications name such as vgg16")
    see.add_argument(
        "--classes",
        help="class indices and ranges, e.g. 0-99 or 1,5,9 (default: every class, unless --layer is given)",
    )
    see.add_argument("--layer", help="a hidden layer whose filters to visualize")
    see.add_argument("--channels", help="filters of --layer, e.g. 0-15 (default: all)")
    see.add_argument("--out", default="featviz-out", help="folder for PNGs and grids (default: featviz-out)")
    see.add_argument(
        "--per-sheet", type=_positive("--per-sheet"), default=100, help="images per grid sheet (default: 100)"
    )
    see.add_argument("--logdir", help="also write TensorBoard logs here")
    _visualizer_options(see)
    see.set_defaults(handler=visualize)

    sweep = commands.add_parser(
        "atlas",
        help="visualize every class and every channel of some layers, in chunks that resume",
        description="Visualize all classes (or --classes) and every channel of --layers of MODEL into "
        "--out, chunk by chunk: each chunk's PNGs are written as it finishes, a killed run started "
        "again goes on where it stopped, and a grid per section and index.json are written when "
        "every chunk is done. Split one atlas across machines with --shard i/N (one run per i), or "
        "across the processes of a JAX job with --coordinator.",
    )
    sweep.add_argument("model", help="a .keras file or a keras.applications name such as vgg16")
    sweep.add_argument(
        "--classes",
        help="all, or class indices, ranges and names, e.g. 0-99 (default: all, unless --layers is given)",
    )
    sweep.add_argument("--layers", help="comma-separated layers every channel of which to visualize")
    sweep.add_argument("--out", default="featviz-atlas", help="the atlas folder (default: featviz-atlas)")
    sweep.add_argument(
        "--chunk",
        type=_positive("--chunk"),
        help="targets per chunk, what a resumed run may redo (default: --batch-size)",
    )
    sweep.add_argument("--shard", help="i/N: run only the chunks n with n %% N == i (for N machines)")
    _visualizer_options(sweep)
    sweep.add_argument(
        "--coordinator", help="HOST:PORT of process 0 of a multi-process JAX job (keras.distribution)"
    )
    sweep.add_argument("--num-processes", type=_positive("--num-processes"), help="processes in the job")
    sweep.add_argument(
        "--process-id",
        type=_argument(lambda text: _parsed(text, int, "--process-id")),
        help="this process, 0 to N-1",
    )
    sweep.set_defaults(handler=atlas)

    listing = commands.add_parser(
        "layers",
        help="list the layers of a model that --layer can target, with their channels",
        description="List the layers of MODEL (a saved .keras file or a keras.applications name) "
        "whose filters `visualize --layer` can target: name, output shape, channel count and "
        "activation (a fused ReLU can be read before it with --pre-activation).",
    )
    listing.add_argument("model", help="a .keras file or a keras.applications name such as vgg16")
    listing.add_argument(
        "--weights",
        default="none",
        choices=["imagenet", "none"],
        help="weights of a keras.applications model; the layers are the same (default: none)",
    )
    listing.set_defaults(handler=layers)

    dae = commands.add_parser(
        "train-dae",
        help="train the denoising autoencoder whose decoder is the pretrained generator",
        description="Train a denoising autoencoder on a folder of images (PNG, JPEG, ...) and save it "
        "as a .keras file for `visualize --mode pretrained --decoder`.",
    )
    dae.add_argument("images", help="folder of training images (searched recursively)")
    dae.add_argument(
        "--size",
        type=_image_size,
        default=(64, 64),
        help="image side or HxW, like the classifier input (default: 64)",
    )
    dae.add_argument(
        "--channels", type=int, choices=[1, 3], default=3, help="1 for gray, 3 for RGB (default: 3)"
    )
    dae.add_argument("--epochs", type=_positive("--epochs"), default=20, help="training epochs (default: 20)")
    dae.add_argument(
        "--batch-size", type=_positive("--batch-size"), default=32, help="batch size (default: 32)"
    )
    dae.add_argument(
        "--width",
        type=_auto_or(_above_zero("--width")),
        default=defaults.AUTOENCODER_WIDTH,
        help=f"filter multiplier; auto: {defaults.LARGE_AUTOENCODER_WIDTH:g} from "
        f"{defaults.LARGE_IMAGE_SIDE} px up, else {defaults.PAPER_WIDTH:g} (default: auto)",
    )
    dae.add_argument(
        "--out", default="autoencoder.keras", help="output .keras file (default: autoencoder.keras)"
    )
    dae.add_argument(
        "--downsample",
        type=_auto_or(_positive("--downsample")),
        default=defaults.AUTOENCODER_DOWNSAMPLE,
        help="make images this many times smaller a side, enlarged bilinearly; auto: "
        f"{defaults.LARGE_AUTOENCODER_DOWNSAMPLE} from {defaults.LARGE_IMAGE_SIDE} px up, else 1 "
        "(default: auto)",
    )
    dae.add_argument("--seed", type=_seed, default=defaults.COMMAND_SEED, help=SEED_HELP)
    dae.set_defaults(handler=train_dae)

    why = commands.add_parser(
        "attribute",
        help="attribution maps (saliency, Grad-CAM, ...) of a folder of images",
        description="Where in each image of IMAGES the classifier MODEL looks: one row per image, "
        "the image then each method's heat map over it, in labelled PNG sheets.",
    )
    why.add_argument("model", help="a .keras file or a keras.applications name such as vgg16")
    why.add_argument(
        "images", help="a folder of images (searched recursively; centre-cropped to the model's size)"
    )
    why.add_argument(
        "--methods",
        default="saliency,integrated_gradients,grad_cam",
        help="comma-separated, of "
        + ", ".join(ATTRIBUTION_METHODS)
        + " (default: saliency,integrated_gradients,grad_cam)",
    )
    why.add_argument(
        "--target", help="the class the maps explain, index or name (default: each image's top class)"
    )
    why.add_argument("--layer", help="Grad-CAM's layer (default: the last convolution's output)")
    why.add_argument(
        "--out", default="featviz-attribution", help="output folder (default: featviz-attribution)"
    )
    why.add_argument(
        "--per-sheet", type=_positive("--per-sheet"), default=20, help="images per sheet (default: 20)"
    )
    why.add_argument(
        "--seed",
        type=_seed,
        default=defaults.COMMAND_SEED,
        help=f"SmoothGrad's noise seed (default: {defaults.COMMAND_SEED})",
    )
    _model_options(why)
    why.set_defaults(handler=attribute)

    best = commands.add_parser(
        "examples",
        help="the images of a dataset each class or filter responds to most",
        description="For each target of MODEL, the K images of DATA (a folder of images, or a .npy "
        "array) it responds to most, in labelled PNG sheets: one row per target, best first.",
    )
    best.add_argument("model", help="a .keras file or a keras.applications name such as vgg16")
    best.add_argument("data", help="a folder of images (searched recursively) or a .npy array")
    best.add_argument(
        "--classes",
        help="class indices and ranges, e.g. 0-99 or 1,5,9 (default: every class, unless --layer is given)",
    )
    best.add_argument("--layer", help="a hidden layer whose filters to find examples for")
    best.add_argument("--channels", help="filters of --layer, e.g. 0-15 (default: all)")
    best.add_argument("--pre-activation", action="store_true", help="read --layer before its activation")
    best.add_argument(
        "--k",
        type=_positive("--k"),
        default=defaults.EXAMPLES_K,
        help=f"images per target (default: {defaults.EXAMPLES_K})",
    )
    best.add_argument("--out", default="featviz-examples", help="output folder (default: featviz-examples)")
    best.add_argument(
        "--per-sheet", type=_positive("--per-sheet"), default=20, help="targets per sheet (default: 20)"
    )
    _model_options(best)
    best.set_defaults(handler=examples)
    return parser


def _visualizer_options(command):
    """The options that load MODEL and make its `FeatureVisualizer` (`_make_visualizer`)."""
    _model_options(command)
    command.add_argument(
        "--mode",
        choices=GENERATORS,
        default="auto",
        help="how the image is made: the paper's generator trained from scratch, a pretrained "
        "decoder, or an image parameterisation (pixels, Lucid's fourier, MACO's fourier_phase); "
        "auto is scratch below 128 pixels a side and fourier from 128 up (default: auto)",
    )
    command.add_argument("--decoder", help="the autoencoder .keras file of --mode pretrained (see train-dae)")
    command.add_argument(
        "--steps",
        type=_positive("--steps"),
        default=None,
        help=f"optimisation steps (default: {defaults.STEPS}, or {defaults.LARGE_IMAGE_STEPS} on images of "
        f"{defaults.LARGE_IMAGE_SIDE} pixels a side or more)",
    )
    command.add_argument(
        "--batch-size",
        type=_positive("--batch-size"),
        default=defaults.BATCH_SIZE,
        help=f"most targets per step (default: {defaults.BATCH_SIZE})",
    )
    command.add_argument(
        "--memory-gb",
        type=_above_zero("--memory-gb"),
        default=defaults.MEMORY_BUDGET / 2**30,
        help="memory a step may keep; cuts smaller chunks to fit "
        f"(default: {defaults.MEMORY_BUDGET / 2**30:g})",
    )
    command.add_argument(
        "--width",
        type=_auto_or(_above_zero("--width")),
        default=defaults.WIDTH,
        help="scratch generator width multiplier, 1 is the paper's; auto: 1 below "
        f"{defaults.LARGE_IMAGE_SIDE} pixels a side, else sized to cost at most the "
        f"classifier (default: {defaults.WIDTH})",
    )
    command.add_argument(
        "--precision",
        choices=["float32", "mixed_bfloat16", "mixed_float16"],
        help="mixed precision for the generator and the classifier's copy: mixed_bfloat16 on "
        "CPUs with bfloat16 units, mixed_float16 on GPUs (default: float32 generator, "
        "the model's own policy)",
    )
    command.add_argument(
        "--transforms",
        choices=["auto", "standard", "none"],
        default=defaults.TRANSFORMS,
        help="random shift, zoom and rotation before the classifier at each step; auto: standard "
        f"on images of {defaults.LARGE_IMAGE_SIDE} pixels or more (default: {defaults.TRANSFORMS})",
    )
    command.add_argument(
        "--pre-activation",
        action="store_true",
        help="read --layer before its activation (a fused ReLU holds a dead filter at 0)",
    )
    command.add_argument("--seed", type=_seed, default=defaults.COMMAND_SEED, help=SEED_HELP)
    command.add_argument(
        "--devices",
        type=_devices,
        default=defaults.CLI_DEVICES,
        help="on the JAX backend, the devices each chunk of targets is cut across: all, or a number "
        f"(default: {defaults.CLI_DEVICES}; other backends use their default device)",
    )


def _devices(text):
    """An argparse type: `all`, or a number of devices >= 1."""
    if text == "all":
        return text
    return _positive("--devices")(text)


def _model_options(command):
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


def _quiet_backend():
    """Load TensorFlow, when it is the backend, without its C++ log lines.

    TensorFlow writes CUDA and absl lines (`cuInit`, `absl::InitializeLog`)
    to the process's stderr while it loads, whatever Python's logging says;
    a command's stderr should hold its own messages only.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        from keras_featviz.tensorboard import import_tensorflow

        try:
            import_tensorflow(quiet=True)
        except ImportError:
            pass  # Keras names the missing backend itself when it loads


def _early_checks(args):
    """The checks that need no Keras, made before it loads: a typo is told
    at once, not after the seconds that importing TensorFlow takes."""
    if getattr(args, "model", None) is not None:
        check_model_spec(args.model)
    if args.command == "demo":
        try:
            validation.writable_directory(args.out, "--out", create=False)
        except ValueError as error:
            raise CommandError(str(error)) from None
    if args.command == "atlas" and args.shard is not None:
        try:
            validation.shard_spec(args.shard, "--shard")
        except ValueError as error:
            raise CommandError(str(error)) from None
    if args.command == "attribute":
        check_data_path(args.images, "IMAGES")
    if args.command == "examples":
        check_data_path(args.data, "DATA")


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        _early_checks(args)
    except CommandError as error:
        print(f"keras-featviz {args.command}: error: {error}", file=sys.stderr)
        return 2
    _quiet_backend()
    if args.command == "demo" and not (1 <= args.classes <= 18 and 0 <= args.cue_class < args.classes):
        print(
            f"keras-featviz: error: --classes must be 1-18 and --cue-class one of them "
            f"(got --classes {args.classes} --cue-class {args.cue_class})",
            file=sys.stderr,
        )
        return 2
    try:
        return args.handler(args)
    except CommandError as error:
        print(f"keras-featviz {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
