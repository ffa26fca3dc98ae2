"""Fit a tiny CNN with the three training callbacks on N devices; report what they logged.

Run as a script by `test_distributed.py`, in a fresh process: simulated
devices must be set before the backend loads.

    python tests/distributed_fit.py BACKEND DEVICES OUT

With DEVICES > 1 the model trains under `tf.distribute.MirroredStrategy`
(TensorFlow) or `keras.distribution.DataParallel` (JAX). It fits without
and with the callbacks (logs in OUT/trained), and writes OUT/report.json:
the weights' digests of both fits and each run's tags. Then it fits again
with a learning rate of 0 and the callbacks (logs in OUT/frozen), and
writes the last step of every image to OUT/images.npz: a replica's weights
differ from one device's by float rounding (1e-7), which is enough to
change a generated image, so images are compared on weights that do not
move.
"""

import json
import os
import sys

BACKEND, DEVICES, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.environ["KERAS_BACKEND"] = BACKEND
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
if BACKEND == "jax":
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={DEVICES}"

import contextlib  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_featviz.callbacks import (  # noqa: E402
    AttributionCallback,
    FeatureVisualizationCallback,
    MemorizationCallback,
)

from conftest import colour_patches, decoded, read_run, tiny_classifier, weights_digest  # noqa: E402


def strategy_scope():
    if DEVICES == 1:
        return contextlib.nullcontext()
    if BACKEND == "tensorflow":
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * DEVICES)
        return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(DEVICES)]).scope()
    keras.distribution.set_distribution(keras.distribution.DataParallel())
    return contextlib.nullcontext()


def fit(images, labels, callbacks, learning_rate=0.02):
    model = tiny_classifier()
    model.compile(keras.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy")
    model.fit(images, labels, epochs=2, batch_size=32, shuffle=False, verbose=0, callbacks=callbacks)
    return model


def callbacks(images, labels, log_dir):
    fast = {"log_dir": log_dir, "max_overhead": None}
    return [
        FeatureVisualizationCallback(steps=20, width=0.25, **fast),
        AttributionCallback(images[:4], labels[:4], methods=["saliency", "grad_cam"], **fast),
        MemorizationCallback(
            (images[:96], labels[:96]),
            (images[96:192], labels[96:192]),
            steps=10,
            seeds=1,
            width=0.25,
            **fast,
        ),
    ]


def main():
    images, labels = colour_patches(192)
    trained, frozen = os.path.join(OUT, "trained"), os.path.join(OUT, "frozen")
    with strategy_scope():
        plain = weights_digest(fit(images, labels, []))
        watched = weights_digest(fit(images, labels, callbacks(images, labels, trained)))
        fit(images, labels, callbacks(images, labels, frozen), learning_rate=0.0)
    report = {"plain": plain, "watched": watched, "tags": {}}
    pictures = {}
    for run_name in ("featviz", "attribution", "memorization"):
        report["tags"][run_name] = sorted(read_run(os.path.join(trained, run_name)).Tags()["tensors"])
        run = read_run(os.path.join(frozen, run_name))
        for tag in run.Tags()["tensors"]:
            last = max(run.Tensors(tag), key=lambda event: event.step)
            if len(last.tensor_proto.string_val) >= 3:  # an image summary
                pictures[f"{run_name}/{tag}"] = np.asarray(decoded(last))
    np.savez(os.path.join(OUT, "images.npz"), **pictures)
    with open(os.path.join(OUT, "report.json"), "w") as handle:
        json.dump(report, handle)


if __name__ == "__main__":
    main()
