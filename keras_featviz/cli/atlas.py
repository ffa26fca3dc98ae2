"""`keras-featviz atlas MODEL`: every class and every channel of named layers,
in resumable chunks, split across shards or the processes of a JAX job.
"""

from keras_featviz.cli.common import (
    FIGURES,
    CommandError,
    add_visualizer_options,
    argument_type,
    parse_indices,
    parsed_value,
    positive_type,
)
from keras_featviz.cli.visualize import _devices_note, make_visualizer


def atlas(args):
    from keras_featviz.atlas import make_atlas

    if args.classes is None and not args.layers:
        args.classes = "all"
    model, visualizer, preprocess = make_visualizer(args)
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


def add_parser(commands):
    """The `atlas` command's arguments."""
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
        type=positive_type("--chunk"),
        help="targets per chunk, what a resumed run may redo (default: --batch-size)",
    )
    sweep.add_argument("--shard", help="i/N: run only the chunks n with n %% N == i (for N machines)")
    add_visualizer_options(sweep)
    sweep.add_argument(
        "--coordinator", help="HOST:PORT of process 0 of a multi-process JAX job (keras.distribution)"
    )
    sweep.add_argument("--num-processes", type=positive_type("--num-processes"), help="processes in the job")
    sweep.add_argument(
        "--process-id",
        type=argument_type(lambda text: parsed_value(text, int, "--process-id")),
        help="this process, 0 to N-1",
    )
    sweep.set_defaults(handler=atlas)
