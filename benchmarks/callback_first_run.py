"""The training callback on a small fast fit, as a new user first tries it.

A small CNN trains on scikit-learn's digits (enlarged to 32x32 RGB) for 5
epochs of about a second each, with `FeatureVisualizationCallback` at its
defaults. The script prints, per seed, the steps the callback ran each
epoch (`max_overhead` cuts them on such short epochs) and how many classes
the model ranks first on their last image, with the lowest of those
probabilities.

    python benchmarks/callback_first_run.py
    python benchmarks/callback_first_run.py --max-overhead none
    python benchmarks/callback_first_run.py --generator fourier --transforms standard  # Lucid's
"""

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def digits():
    """scikit-learn's 8x8 digits as 32x32 RGB images in 0-255, and their labels."""
    from sklearn.datasets import load_digits

    data = load_digits()
    images = np.kron(data.images, np.ones((4, 4)))[..., None] * 16.0
    return np.repeat(images, 3, axis=-1).astype("float32"), data.target


def small_cnn(seed):
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Rescaling(1 / 255.0),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--max-overhead", default="default", help="a number, none, or default (0.1)")
    parser.add_argument("--generator", default=None, help="the callback's generator (default: its own)")
    parser.add_argument("--transforms", default=None, help="the callback's transforms (default: its own)")
    args = parser.parse_args()

    from keras_featviz.callbacks import FeatureVisualizationCallback

    options = {}
    if args.max_overhead != "default":
        options["max_overhead"] = None if args.max_overhead == "none" else float(args.max_overhead)
    options.update({k: v for k, v in (("generator", args.generator), ("transforms", args.transforms)) if v})
    x, y = digits()
    warnings.simplefilter("ignore", RuntimeWarning)  # the cut-steps warning, expected here
    for seed in args.seeds:
        model = small_cnn(seed)
        callback = FeatureVisualizationCallback(log_dir=tempfile.mkdtemp(), **options)
        begun = time.perf_counter()
        history = model.fit(x, y, epochs=args.epochs, batch_size=64, verbose=0, callbacks=[callback])
        seconds = time.perf_counter() - begun
        result = callback.last_result
        own = result.probabilities[np.arange(10), np.arange(10)]
        print(
            f"seed {seed}: accuracy {history.history['accuracy'][-1]:.2f}; steps per epoch "
            f"{list(callback.steps_run.values())}; last images ranked first {result.success_rate:.0%}, "
            f"lowest own probability {own.min():.2f}; fit with the callback {seconds:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
