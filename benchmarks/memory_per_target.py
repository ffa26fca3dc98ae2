"""Peak memory per target of an optimisation step, measured against the estimate.

Runs two optimisation steps of a classifier (VGG16 at 224x224 without
weights, by default) with two chunk sizes, each in its own process, and
prints how much the process's peak memory grew per added target, beside
what `keras_featviz.optimization.memory` estimates. The estimate cuts chunks to
`FeatureVisualizer(memory_budget=...)`; it should be at or a little above
the measured growth.

Usage:

    python benchmarks/memory_per_target.py --mode pretrained --targets-per-step 16 32   # about 3 min on 2 cores
    python benchmarks/memory_per_target.py --mode scratch --targets-per-step 4 12
"""

import argparse
import json
import resource
import subprocess
import sys


def measure(mode, targets_per_step):
    """Peak RSS (MiB) of a process that runs 2 steps with `targets_per_step` targets."""
    import keras

    from keras_featviz import FeatureVisualizer
    from keras_featviz.makers import generators
    from keras_featviz.optimization import memory

    vgg = keras.applications.VGG16(weights=None)
    kwargs = (
        {"decoder": generators.decoder_network((224, 224, 3))} if mode == "pretrained" else {"width": 1.0}
    )
    visualizer = FeatureVisualizer(
        vgg, mode, preprocess="vgg16", batch_size=targets_per_step, memory_budget=1e15, seed=0, **kwargs
    )
    visualizer.visualize(list(range(targets_per_step)), steps=2, verbose=0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    estimate = memory.bytes_per_target(visualizer.source.build(1), visualizer.probe.model) / 2**20
    return {"targets_per_step": targets_per_step, "peak_mib": peak, "estimate_mib_per_target": estimate}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", default="pretrained", choices=["pretrained", "scratch"])
    parser.add_argument(
        "--targets-per-step", type=int, nargs=2, default=[16, 32], help="two chunk sizes (default: 16 32)"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # measure one chunk size in this process
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure(args.mode, args.one)))
        return 0
    runs = []
    for targets_per_step in args.targets_per_step:
        command = [sys.executable, __file__, "--mode", args.mode, "--one", str(targets_per_step)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(output.strip().splitlines()[-1]))
    small, large = runs
    grown = (large["peak_mib"] - small["peak_mib"]) / (large["targets_per_step"] - small["targets_per_step"])
    print(f"VGG16 224x224, {args.mode} mode, 2 steps:")
    for run in runs:
        print(f"  {run['targets_per_step']:>3} targets per step: peak {run['peak_mib']:.0f} MiB")
    print(f"  measured growth per target: {grown:.0f} MiB")
    print(f"  estimated per target:       {small['estimate_mib_per_target']:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
