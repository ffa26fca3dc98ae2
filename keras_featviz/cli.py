"""The `keras-featviz` command line.

`keras-featviz demo` runs the whole method on data the package makes itself:
it trains a small CNN on the synthetic shapes (one class carrying a planted
cue), pretrains a denoising autoencoder on them, visualizes every class in
both generator modes, and writes PNGs and labelled grids.
"""

import argparse
import os
import sys
import time



def _classifier(size, classes):
    import keras

    def block(filters):
        return [
            keras.layers.Conv2D(filters, 3, padding="same", use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.MaxPooling2D(),
        ]

    return keras.Sequential(
        [keras.Input((size, size, 3)), keras.layers.Rescaling(1 / 255.0)]
        + block(32) + block(64) + block(96)
        + [
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(classes, activation="softmax", name="predictions"),
        ],
        name="shapes_cnn",
    )


def demo(args):
    import keras

    import keras_featviz
    from keras_featviz.data import CLASS_NAMES, shapes_data

    started = time.time()
    names = list(CLASS_NAMES[: args.classes])
    print(f"Making {args.train} synthetic {args.size}x{args.size} shape images "
          f"({args.classes} classes, planted cue on class {args.cue_class} "
          f"{names[args.cue_class]!r})...")
    (x, y), (x_val, y_val), _ = shapes_data(
        train=args.train, validation=args.train // 10, test=0, size=args.size,
        seed=args.seed, cue_class=args.cue_class, classes=args.classes,
    )
    keras.utils.set_random_seed(args.seed)
    model = _classifier(args.size, args.classes)
    model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    print("Training the classifier...")
    model.fit(x, y, epochs=args.epochs, batch_size=64, validation_data=(x_val, y_val), verbose=2)
    os.makedirs(args.out, exist_ok=True)
    model.save(os.path.join(args.out, "classifier.keras"))

    print("Pretraining the denoising autoencoder...")
    dae = keras_featviz.DenoisingAutoencoder((args.size, args.size, 3), width=0.5, seed=args.seed)
    dae.fit_images(x, epochs=args.dae_epochs, batch_size=64, validation_split=0, verbose=2)
    decoder_path = os.path.join(args.out, "autoencoder.keras")
    dae.save(decoder_path)

    targets = list(range(args.classes))
    for mode, kwargs in (("scratch", {"width": 0.5}), ("pretrained", {"decoder": decoder_path})):
        print(f"Visualizing {len(targets)} classes, {mode} generator...")
        visualizer = keras_featviz.FeatureVisualizer(
            model, mode, seed=args.seed, class_names=names, **kwargs)
        result = visualizer.visualize(targets, steps=args.steps, verbose=0)
        paths = result.save(os.path.join(args.out, mode))
        print(f"  {mode}: {result.success_rate:.0%} of classes ranked first on their "
              f"image; wrote {len(paths)} files to {os.path.join(args.out, mode)}")
    print(f"Done in {time.time() - started:.0f} s. Grids: "
          f"{os.path.join(args.out, 'scratch', 'grid.png')} and "
          f"{os.path.join(args.out, 'pretrained', 'grid.png')}. The planted cue "
          f"(white square, top left) is on class {args.cue_class} {names[args.cue_class]!r}.")
    return 0


def _positive(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be an integer > 0, got {text}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-featviz",
        description="See what a Keras image classifier has learnt (Despraz et al.).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="train a shapes classifier and visualize every class")
    run.add_argument("--out", default="featviz-demo", help="output folder (default: featviz-demo)")
    run.add_argument("--size", type=_positive, default=32, help="image side (default: 32)")
    run.add_argument("--classes", type=_positive, default=18, help="number of shape classes, up to 18 (default: 18)")
    run.add_argument("--train", type=_positive, default=3600, help="training images (default: 3600)")
    run.add_argument("--epochs", type=_positive, default=15, help="classifier epochs (default: 15)")
    run.add_argument("--dae-epochs", type=_positive, default=4, help="autoencoder epochs (default: 4)")
    run.add_argument("--steps", type=_positive, default=150, help="optimisation steps per target (default: 150)")
    run.add_argument("--cue-class", type=int, default=0, help="class with the planted cue (default: 0)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    run.set_defaults(handler=demo)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "demo" and not (1 <= args.classes <= 18 and 0 <= args.cue_class < args.classes):
        print(f"keras-featviz: error: --classes must be 1-18 and --cue-class one of them "
              f"(got --classes {args.classes} --cue-class {args.cue_class})", file=sys.stderr)
        return 2
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
