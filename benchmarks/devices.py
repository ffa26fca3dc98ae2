"""A sweep on 1, 2 and 4 devices, and what all 1,000 classes and every VGG16 channel would take.

Each device count runs in its own process on the JAX backend, with that
many simulated CPU devices (`XLA_FLAGS=--xla_force_host_platform_device_count=N`),
and times one sweep of the demo's shapes classifier (32x32, 18 classes,
untrained: the speed does not depend on the weights), after a first sweep
that compiles. Simulated devices share this machine's cores: on 2 cores the
rows show that sharding is correct and what it costs, not a speed-up; on
GPUs each device adds its own compute.

Then, on one device, a few steps of VGG16 at 224x224 (no weights) with the
defaults (the Fourier image, 150 steps a target) give seconds per target,
the estimated memory per target (`keras_featviz.optimization.memory`) and the projected
time for all 1,000 classes and every one of VGG16's 4,224 convolution
channels, on this machine and divided over N devices as fast as it.

    python benchmarks/devices.py            # about 5 min on 2 cores
    python benchmarks/devices.py --skip-vgg
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

STEPS = 30
TARGETS = 16


def sweep(devices):
    """`{"seconds", "targets_per_second", "peak_mib"}` of one timed sweep on `devices`."""
    from keras_featviz import FeatureVisualizer
    from keras_featviz.demo import shapes_classifier

    visualizer = FeatureVisualizer(shapes_classifier(32, 18), "scratch", seed=0, width=0.5, devices="all")
    assert visualizer.shards == devices, visualizer.shards
    visualizer.visualize(list(range(TARGETS)), steps=2, verbose=0)  # compiles
    began = time.perf_counter()
    visualizer.visualize(list(range(TARGETS)), steps=STEPS, verbose=0)
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "targets_per_second": TARGETS / seconds,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def vgg16_projection(steps=5, targets=8):
    import keras

    from keras_featviz import FeatureVisualizer, defaults
    from keras_featviz.optimization import memory

    model = keras.applications.VGG16(weights=None)
    visualizer = FeatureVisualizer(model, preprocess="caffe", seed=0, batch_size=targets)
    visualizer.visualize(list(range(targets)), steps=1, verbose=0)  # compiles
    visualizer.visualize(list(range(targets)), steps=steps, verbose=0)
    per_target_step = visualizer.last_step_seconds / targets
    channels = sum(layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    per_target = per_target_step * defaults.LARGE_IMAGE_STEPS
    generator = visualizer.source.build(1)
    return {
        "seconds_per_target": per_target,
        "channels": channels,
        "classes_hours": 1000 * per_target / 3600,
        "channels_hours": channels * per_target / 3600,
        "estimated_mib_per_target": memory.bytes_per_target(generator, visualizer.probe.model) / 2**20,
    }


def child(task):
    if task == "vgg16":
        print(json.dumps(vgg16_projection()))
    else:
        print(json.dumps(sweep(int(task))))


def run_child(task, devices=1):
    environment = dict(
        os.environ,
        KERAS_BACKEND="jax",
        TF_CPP_MIN_LOG_LEVEL="3",
        XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
    )
    done = subprocess.run(
        [sys.executable, __file__, "--child", task], env=environment, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--skip-vgg", action="store_true", help="only the 1, 2, 4 device sweeps")
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    print(f"Shapes classifier 32x32, scratch generator width 0.5, {TARGETS} targets x {STEPS} steps, JAX")
    print(f"{'devices':>7} {'seconds':>8} {'targets/s':>10} {'vs 1':>6} {'peak MiB':>9}")
    first = None
    for devices in (1, 2, 4):
        row = run_child(str(devices), devices)
        first = first or row["targets_per_second"]
        print(
            f"{devices:>7} {row['seconds']:>8.1f} {row['targets_per_second']:>10.2f} "
            f"{row['targets_per_second'] / first:>6.2f} {row['peak_mib']:>9.0f}",
            flush=True,
        )
    if args.skip_vgg:
        return None
    vgg = run_child("vgg16")
    print(
        f"\nVGG16 224x224, Fourier image, 150 steps, one device: {vgg['seconds_per_target']:.1f} s a target, "
        f"about {vgg['estimated_mib_per_target']:.0f} MiB a target in a step (estimate)."
    )
    for what, hours in (
        ("all 1,000 classes", vgg["classes_hours"]),
        (f"all {vgg['channels']:,} convolution channels", vgg["channels_hours"]),
    ):
        print(
            f"  {what}: {hours:.1f} h on this machine; on N devices as fast as it, {hours:.1f}/N h "
            f"(8 devices: {hours / 8:.1f} h)"
        )
    return None


if __name__ == "__main__":
    main()
