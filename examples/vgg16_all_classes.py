"""Every one of VGG16's 1,000 ImageNet classes, in sheets of 100 (the paper's analysis).

Shows: the image each class of `keras.applications.VGG16` responds to most,
swept in batches with the pretrained generator, saved as the paper's
published grid sheets (and one PNG per class).
Takes: needs the ImageNet weights (downloaded once by Keras; offline this
stops with a clear message) and a decoder trained on natural images at
224x224 (`keras-featviz train-dae my_images/ --size 224 --out dae224.keras`).
About 5 minutes on one GPU in pretrained mode; hours on a CPU.

    python examples/vgg16_all_classes.py --decoder dae224.keras --out vgg16-sheets
"""

import argparse
import sys

import keras

import keras_featviz


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decoder", help="224x224 autoencoder .keras (pretrained mode); none: scratch mode")
    parser.add_argument("--classes", type=int, default=1000, help="the first N classes (default: all)")
    parser.add_argument(
        "--steps", type=int, default=None, help="steps per class (default: the library's, 150 at 224x224)"
    )
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--weights", default="imagenet", help="imagenet, or none to try the code offline")
    parser.add_argument("--out", default="vgg16-sheets")
    args = parser.parse_args(argv)
    try:
        model = keras.applications.VGG16(weights=None if args.weights == "none" else args.weights)
    except Exception as error:
        sys.exit(
            f"Could not load VGG16's ImageNet weights ({error}). They are downloaded on first "
            f"use, so this example needs internet once; --weights none runs it untrained."
        )
    mode = "pretrained" if args.decoder else "scratch"
    visualizer = keras_featviz.FeatureVisualizer(
        model,
        mode,
        decoder=args.decoder,
        preprocess="vgg16",
        batch_size=args.batch_size,
        seed=0,
    )
    result = visualizer.visualize(range(args.classes), steps=args.steps)
    paths = result.save(args.out, per_sheet=100)  # grid_000.png ... grid_009.png
    print(f"{result.success_rate:.0%} of the classes ranked first; wrote {len(paths)} files to {args.out}")


if __name__ == "__main__":
    main()
