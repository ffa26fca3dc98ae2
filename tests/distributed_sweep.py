"""Visualize the same targets on one device and on DEVICES simulated ones (JAX).

Run as a script by `test_devices.py`, in a fresh process: the simulated
devices must be set before JAX loads.

    python tests/distributed_sweep.py DEVICES OUT

Writes OUT/report.json: for each generator, the largest and mean pixel
difference between the one-device and the DEVICES-device images, and the
sharding of the generator's and the classifier's variables; and whether
`devices="auto"` follows a `DataParallel` the user has set.
"""

import json
import os
import sys

DEVICES, OUT = int(sys.argv[1]), sys.argv[2]
os.environ["KERAS_BACKEND"] = "jax"
os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={DEVICES}"

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_featviz import FeatureVisualizer  # noqa: E402
from keras_featviz.makers.autoencoder import DenoisingAutoencoder  # noqa: E402

from conftest import SIZE, colour_patches, tiny_classifier, train  # noqa: E402

# Five targets: a chunk that does not divide by the devices is padded.
TARGETS = [0, 1, 2, 0, 1]


def specs(variables):
    return sorted({str(v.value.sharding.spec) for v in variables})


def main():
    classifier = train(tiny_classifier(), *colour_patches(192), epochs=2)
    decoder = DenoisingAutoencoder((SIZE, SIZE, 3), width=0.25, seed=0)
    report = {}
    for name, kwargs in (
        ("scratch", {"generator": "scratch", "width": 0.25}),
        ("pretrained", {"generator": "pretrained", "decoder": decoder}),
        ("fourier", {"generator": "fourier"}),
    ):
        images = {}
        for devices in (None, "all"):
            visualizer = FeatureVisualizer(classifier, seed=0, devices=devices, **kwargs)
            images[devices] = visualizer.visualize(TARGETS, steps=10, verbose=0).images.astype("int32")
        model = visualizer.trainers[0].model
        difference = np.abs(images[None] - images["all"])
        report[name] = {
            "shards": visualizer.shards,
            "max": int(difference.max()),
            "mean": float(difference.mean()),
            "p99": float(np.percentile(difference, 99)),
            "generator": specs(model.generator.trainable_variables),
            "classifier": specs(model.probe.variables),
        }
    keras.distribution.set_distribution(keras.distribution.DataParallel())
    report["auto_under_data_parallel"] = FeatureVisualizer(classifier, seed=0).shards
    with open(os.path.join(OUT, "report.json"), "w") as handle:
        json.dump(report, handle)


if __name__ == "__main__":
    main()
