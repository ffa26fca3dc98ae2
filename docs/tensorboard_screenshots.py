"""Screenshots of what a user sees in TensorBoard, in a real browser.

Trains a small CNN on scikit-learn's digits (32x32 RGB, 8 epochs) with the
three callbacks, plus a layer's channels with long names, serves the logs
with TensorBoard and takes headless Chromium screenshots of the images
dashboard at its default settings ("Show actual image size" unticked),
one per tag group: the class grid, one dataset-examples strip, one
attribution strip and a grid of channels. Look at the PNGs: every caption
should be readable and no two alike.

Needs Chromium (`apt-get install chromium`) and scikit-learn.

    python docs/tensorboard_screenshots.py OUT_DIR        # about 2 minutes on 2 cores
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

VIEWS = {  # file name: the tag filter (a regular expression)
    "grid": "^grid$",
    "examples": "^examples/class_3$",
    "attribution": "^attribution/00",
    "channels": "^channels_grid$",
}


def make_logs(log_dir):
    import keras
    from callback_first_run import digits

    from keras_featviz import FeatureVisualizer, objectives
    from keras_featviz.callbacks import AttributionCallback, FeatureVisualizationCallback
    from keras_featviz.io.tensorboard import TENSORBOARD_LAYOUT, EventWriter

    images, labels = digits()
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Rescaling(1 / 255.0),
            keras.layers.Conv2D(16, 3, activation="relu", name="block_10_expand_relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    callbacks = [
        FeatureVisualizationCallback(
            log_dir=log_dir, examples=(images[:300], labels[:300]), max_overhead=None
        ),
        AttributionCallback(images[:4], labels[:4], log_dir=log_dir, max_overhead=None),
    ]
    model.fit(images, labels, epochs=8, batch_size=64, verbose=0, callbacks=callbacks)
    # Channels of a layer with a long name: their captions must still read apart.
    channels = [objectives.channel("block_10_expand_relu", c) for c in range(9)]
    result = FeatureVisualizer(model, seed=0).visualize(channels, steps=50, verbose=0)
    writer = EventWriter(os.path.join(log_dir, "channels"))
    writer.images("channels_grid", np.asarray(result.grid(**TENSORBOARD_LAYOUT))[None], step=0)
    writer.close()


def free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def screenshots(log_dir, out):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise SystemExit("No Chromium found: apt-get install chromium")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", log_dir, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(10)
        for name, tags in VIEWS.items():
            path = os.path.join(out, f"tensorboard_{name}.png")
            subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    "--window-size=1400,1100",
                    "--virtual-time-budget=25000",
                    f"--screenshot={path}",
                    f"http://localhost:{port}/#images&tagFilter={tags}",
                ],  # fmt: skip
                check=True,
                capture_output=True,
            )
            print(f"Wrote {path}")
    finally:
        server.terminate()
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder for the screenshots")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    log_dir = tempfile.mkdtemp(prefix="featviz-tb-")
    make_logs(log_dir)
    screenshots(log_dir, args.out)


if __name__ == "__main__":
    main()
