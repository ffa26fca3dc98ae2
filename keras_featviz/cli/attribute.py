"""`keras-featviz attribute MODEL IMAGES`: attribution maps of a folder of images."""

import time

from keras_featviz import defaults
from keras_featviz.cli.common import (
    ATTRIBUTION_METHODS,
    CommandError,
    add_model_options,
    checked_out,
    load_classifier,
    note_raw_pixels,
    positive_type,
    read_class_names,
    read_folder,
    seed_type,
)


def attribute(args):
    """Attribution maps of a folder of images: a labelled PNG sheet, a row per image."""
    from keras_featviz.views.attribution import Attributor, check_methods

    try:
        methods = check_methods([m.strip() for m in args.methods.split(",") if m.strip()])
    except ValueError as error:
        raise CommandError(f"--methods: {error}") from None
    checked_out(args.out)
    model, preprocess = load_classifier(args.model, args.weights)
    preprocess = args.preprocess or preprocess
    note_raw_pixels(model, preprocess)
    try:
        attributor = Attributor(model, preprocess=preprocess, layer=args.layer or "auto", seed=args.seed)
    except ValueError as error:
        raise CommandError(str(error)) from None
    if args.class_names is not None:
        attributor.class_names = read_class_names(args.class_names, attributor.num_classes)
    images, _ = read_folder(args.images, attributor.image_shape, "IMAGES")
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


def add_parser(commands):
    """The `attribute` command's arguments."""
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
        "--per-sheet", type=positive_type("--per-sheet"), default=20, help="images per sheet (default: 20)"
    )
    why.add_argument(
        "--seed",
        type=seed_type,
        default=defaults.COMMAND_SEED,
        help=f"SmoothGrad's noise seed (default: {defaults.COMMAND_SEED})",
    )
    add_model_options(why)
    why.set_defaults(handler=attribute)
