"""`keras-featviz examples MODEL DATA`: the images of a dataset each class or
filter responds to most.
"""

import time

from keras_featviz import defaults
from keras_featviz.cli.common import (
    CommandError,
    add_model_options,
    checked_out,
    load_classifier,
    note_raw_pixels,
    positive_type,
    read_class_names,
    read_folder,
    targets_of,
)


def examples(args):
    """The images of DATA each target responds to most: a labelled PNG sheet, a row per target."""
    from keras_featviz.io.imagenet import resolve_names
    from keras_featviz.surgery import class_count, target_layers, unknown_layer_error
    from keras_featviz.views.dataset_search import ExampleFinder

    checked_out(args.out)
    model, preprocess = load_classifier(args.model, args.weights)
    preprocess = args.preprocess or preprocess
    note_raw_pixels(model, preprocess)
    layers = {row["name"]: row["channels"] for row in target_layers(model)}

    def channel_count(layer):
        if layer not in layers:
            raise unknown_layer_error(layer, model)
        return layers[layer]

    count = class_count(model)
    names = read_class_names(args.class_names, count)
    targets = targets_of(args, count, channel_count, names=resolve_names(names, count))
    try:
        finder = ExampleFinder(model, targets, k=args.k, preprocess=preprocess, class_names=names)
    except ValueError as error:
        raise CommandError(str(error)) from None
    images, sources = read_folder(args.data, finder.image_shape, "DATA")
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


def add_parser(commands):
    """The `examples` command's arguments."""
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
        type=positive_type("--k"),
        default=defaults.EXAMPLES_K,
        help=f"images per target (default: {defaults.EXAMPLES_K})",
    )
    best.add_argument("--out", default="featviz-examples", help="output folder (default: featviz-examples)")
    best.add_argument(
        "--per-sheet", type=positive_type("--per-sheet"), default=20, help="targets per sheet (default: 20)"
    )
    add_model_options(best)
    best.set_defaults(handler=examples)
