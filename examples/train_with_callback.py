"""Watch a classifier learn: FeatureVisualizationCallback in a `fit` call.

Shows: the per-epoch images of every class of a small CNN trained on the
synthetic shapes, beside its loss curves, in one TensorBoard.
Takes: about 2 minutes on a 2-core CPU with the defaults.

    python examples/train_with_callback.py --out featviz-training
    tensorboard --logdir featviz-training/logs
"""

import argparse
import os

import keras

from keras_featviz.callbacks import FeatureVisualizationCallback
from keras_featviz.data import CLASS_NAMES, shapes_data
from keras_featviz.demo import shapes_classifier


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="featviz-training")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--classes", type=int, default=18)
    parser.add_argument("--train", type=int, default=3600)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps", type=int, default=20, help="generator steps per epoch")
    args = parser.parse_args(argv)

    (x, y), (x_val, y_val), _ = shapes_data(
        train=args.train, validation=args.train // 10, test=0, size=args.size, classes=args.classes, seed=0
    )
    model = shapes_classifier(args.size, args.classes)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    logs = os.path.join(args.out, "logs")
    model.fit(
        x,
        y,
        epochs=args.epochs,
        batch_size=64,
        validation_data=(x_val, y_val),
        verbose=2,
        callbacks=[
            keras.callbacks.TensorBoard(logs),  # loss curves: runs train/, validation/
            FeatureVisualizationCallback(  # images: run featviz/
                log_dir=logs,
                class_names=list(CLASS_NAMES[: args.classes]),
                steps=args.steps,  # at most; warm-started from the previous epoch
                image_dir=os.path.join(args.out, "png"),  # PNGs too, epoch_001/, epoch_002/, ...
            ),
        ],
    )
    print(f"Look with: tensorboard --logdir {logs}")


if __name__ == "__main__":
    main()
