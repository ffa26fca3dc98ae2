"""`keras-featviz train-dae IMAGES_DIR`: the denoising autoencoder whose decoder
is the pretrained generator.
"""

import os

from keras_featviz import defaults, validation
from keras_featviz.cli.common import (
    SEED_HELP,
    CommandError,
    above_zero_type,
    auto_or,
    image_size_type,
    positive_type,
    seed_type,
)


def train_dae(args):
    from keras_featviz.io.folders import read_images
    from keras_featviz.io.results import write_atomically
    from keras_featviz.makers.autoencoder import DenoisingAutoencoder

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


def add_parser(commands):
    """The `train-dae` command's arguments."""
    dae = commands.add_parser(
        "train-dae",
        help="train the denoising autoencoder whose decoder is the pretrained generator",
        description="Train a denoising autoencoder on a folder of images (PNG, JPEG, ...) and save it "
        "as a .keras file for `visualize --mode pretrained --decoder`.",
    )
    dae.add_argument("images", help="folder of training images (searched recursively)")
    dae.add_argument(
        "--size",
        type=image_size_type,
        default=(64, 64),
        help="image side or HxW, like the classifier input (default: 64)",
    )
    dae.add_argument(
        "--channels", type=int, choices=[1, 3], default=3, help="1 for gray, 3 for RGB (default: 3)"
    )
    dae.add_argument(
        "--epochs", type=positive_type("--epochs"), default=20, help="training epochs (default: 20)"
    )
    dae.add_argument(
        "--batch-size", type=positive_type("--batch-size"), default=32, help="batch size (default: 32)"
    )
    dae.add_argument(
        "--width",
        type=auto_or(above_zero_type("--width")),
        default=defaults.AUTOENCODER_WIDTH,
        help=f"filter multiplier; auto: {defaults.LARGE_AUTOENCODER_WIDTH:g} from "
        f"{defaults.LARGE_IMAGE_SIDE} px up, else {defaults.PAPER_WIDTH:g} (default: auto)",
    )
    dae.add_argument(
        "--out", default="autoencoder.keras", help="output .keras file (default: autoencoder.keras)"
    )
    dae.add_argument(
        "--downsample",
        type=auto_or(positive_type("--downsample")),
        default=defaults.AUTOENCODER_DOWNSAMPLE,
        help="make images this many times smaller a side, enlarged bilinearly; auto: "
        f"{defaults.LARGE_AUTOENCODER_DOWNSAMPLE} from {defaults.LARGE_IMAGE_SIDE} px up, else 1 "
        "(default: auto)",
    )
    dae.add_argument("--seed", type=seed_type, default=defaults.COMMAND_SEED, help=SEED_HELP)
    dae.set_defaults(handler=train_dae)
