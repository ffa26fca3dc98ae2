"""`keras-featviz visualize MODEL`: the classes or filters of a saved `.keras`
model or a `keras.applications` model, as PNGs, grids and TensorBoard logs.
"""

import os
import time

from keras_featviz import validation
from keras_featviz.cli.common import (
    APPLICATIONS,
    FIGURES,
    CommandError,
    add_visualizer_options,
    config_of,
    load_classifier,
    positive_type,
    read_class_names,
    targets_of,
)


def make_visualizer(args, check_out=True):
    """`(model, visualizer, preprocess)` for the options of `add_visualizer_options`.

    The output folders and the visualizer options are checked before the
    model loads.
    """
    import keras_featviz
    from keras_featviz.io.tensorboard import import_tensorflow

    config = config_of(args, preprocess=args.preprocess)
    try:
        # Output folders are checked before the long run, not after it.
        if check_out and args.out:
            validation.writable_directory(args.out, "--out", create=False)
        if getattr(args, "logdir", None) is not None:
            validation.writable_directory(args.logdir, "--logdir", create=False)
            import_tensorflow(quiet=True)  # its summary writer, on any backend
    except (ValueError, ImportError) as error:
        raise CommandError(str(error)) from None
    _start_processes(args)
    model, preprocess = load_classifier(args.model, args.weights)
    preprocess = args.preprocess or preprocess
    try:
        visualizer = keras_featviz.FeatureVisualizer(model, config=config.replace(preprocess=preprocess))
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None
    if args.class_names is not None:
        visualizer.class_names = read_class_names(args.class_names, visualizer.probe.num_classes)
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


def _transforms_note(visualizer):
    """`"strong transforms"`, or `"no transforms"`: what `transforms="auto"` became."""
    transforms = visualizer.transforms
    return "no transforms" if transforms in (None, "none") else f"{transforms} transforms"


def _prior_note(visualizer):
    """`", statistics prior 0.005"` where the prior is on (`statistics_weight`), else nothing."""
    weight = visualizer.statistics_weight
    return f", statistics prior {weight:g}" if weight else ""


def _devices_note(visualizer):
    return f", {visualizer.shards} devices" if visualizer.shards > 1 else ""


def visualize(args):
    from keras_featviz.io.tensorboard import EventWriter, log_visualization

    model, visualizer, preprocess = make_visualizer(args)
    targets = targets_of(
        args,
        visualizer.probe.num_classes,
        lambda layer: visualizer.layer_shape(layer)[-1],
        names=visualizer.class_names,
    )
    print(
        f"Visualizing {len(targets)} targets of {model.name!r} ({visualizer.source.mode} generator, "
        f"{_transforms_note(visualizer)}{_prior_note(visualizer)}, {args.steps or 'default'} steps, "
        f"preprocess={preprocess or 'none'}{_devices_note(visualizer)})..."
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


def add_parser(commands):
    """The `visualize` command's arguments."""
    see = commands.add_parser(
        "visualize",
        help="visualize the classes or filters of a saved model or a keras.applications model",
        description="Make the image each class (or filter) of MODEL responds to most. MODEL is a saved "
        ".keras file or a keras.applications name: " + ", ".join(APPLICATIONS) + ".",
    )
    see.add_argument("model", help="a .keras file or a keras.applications name such as vgg16")
    see.add_argument(
        "--classes",
        help="class indices, ranges or names, e.g. 0-99 or 1,5,9, or all (default: every class, unless "
        "--layer is given)",
    )
    see.add_argument("--layer", help="a hidden layer whose filters to visualize")
    see.add_argument("--channels", help="filters of --layer, e.g. 0-15 (default: all)")
    see.add_argument("--out", default="featviz-out", help="folder for PNGs and grids (default: featviz-out)")
    see.add_argument(
        "--per-sheet",
        type=positive_type("--per-sheet"),
        default=100,
        help="images per grid sheet (default: 100)",
    )
    see.add_argument("--logdir", help="also write TensorBoard logs here")
    add_visualizer_options(see)
    see.set_defaults(handler=visualize)
