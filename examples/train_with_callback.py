"""Watch a classifier learn: FeatureVisualizationCallback in a `fit` call.

Shows: the per-epoch images of every class of a small CNN trained on the
synthetic shapes, beside its loss curves, in one TensorBoard.
What you should see (our run, grids in png/epoch_001 and png/epoch_010):
after the first epoch, saturated colour patterns the model barely prefers
(p about 0.1 under each image); by the last epochs, bright strokes on a
dark ground as in the training images, every class ranked first on its
own image (the run prints the share per epoch: 89% at epoch 4, 100% from
epoch 8). The fill style reads best: single thin strokes for the `line`
classes, paired parallel strokes for `double`, solid patches for `filled`;
the shape itself mostly does not. They show what this small CNN keys on,
not drawings of its classes.
Takes: about 3 minutes on a 2-core CPU with the defaults.

    python examples/train_with_callback.py --out featviz-training
    tensorboard --logdir featviz-training/logs
"""

import argparse
import os

import keras
import numpy as np

from keras_featviz.callbacks import FeatureVisualizationCallback
from keras_featviz.demo import shapes_classifier
from keras_featviz.shapes import CLASS_NAMES, augment, shapes_data


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
    # A blurred, dimmed or brightened copy of each image: a CNN trained on
    # exact shapes alone keys on single edge pixels, and the images that
    # most excite it are noise to a person.
    x, y = np.concatenate([x, augment(x, seed=0)]), np.concatenate([y, y])
    model = shapes_classifier(args.size, args.classes)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    logs = os.path.join(args.out, "logs")
    watcher = FeatureVisualizationCallback(  # images: run featviz/
        log_dir=logs,
        class_names=list(CLASS_NAMES[: args.classes]),
        steps=args.steps,  # per epoch, each epoch going on from the last
        # This small CNN trains an epoch in seconds: at the default budget
        # (10% of the training time) the generators would get a step or two
        # per epoch and the images would stay grey. Here they may take the
        # time they need; on a model that trains for minutes an epoch, keep
        # the default and the callback warns if it has to cut steps.
        max_overhead=None,
        verbose=1,  # one line per epoch: steps, seconds, classes ranked first
        image_dir=os.path.join(args.out, "png"),  # PNGs too, epoch_001/, epoch_002/, ...
    )
    model.fit(
        x,
        y,
        epochs=args.epochs,
        batch_size=64,
        validation_data=(x_val, y_val),
        verbose=2,
        callbacks=[keras.callbacks.TensorBoard(logs), watcher],  # loss curves: runs train/, validation/
    )
    print(f"Look with: tensorboard --logdir {logs}")


if __name__ == "__main__":
    main()
