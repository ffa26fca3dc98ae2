"""What `FeatureVisualizationCallback` adds to an epoch of the shapes demo.

Trains the shapes demo classifier as `keras-featviz demo` does, with the
callback at its default settings (every class, every epoch), and prints
what the callback takes per epoch against the rest of the same epoch, as a
percentage, with the one-off setup (building and compiling the coupled
model) apart. A run without the callback is timed too, for reference.

Usage:

    python benchmarks/callback_overhead.py              # about 2 min on 2 cores
    python benchmarks/callback_overhead.py --generator pretrained
    python benchmarks/callback_overhead.py --jit        # XLA on a TensorFlow CPU too
    python benchmarks/callback_overhead.py --max-overhead none   # always all 10 steps
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import workloads  # noqa: E402  (benchmarks/ is not a package)


def _fraction_or_none(text):
    return "none" if text.lower() == "none" else float(text)


def epoch_timer():
    """A callback that records the wall time of each epoch in `.epochs`.

    Placed last, its epoch end comes after every other callback's.
    """
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.begun = self.last = time.perf_counter()
            self.epochs = []

        def on_epoch_end(self, epoch, logs=None):
            now = time.perf_counter()
            self.epochs.append(now - self.last)
            self.last = now

    return EpochTimer()


def timed_fit(callbacks, epochs):
    """Train the demo's classifier exactly as `keras-featviz demo` does."""
    from keras_featviz.demo import train_shapes_classifier

    settings = workloads.SHAPES
    timer = epoch_timer()
    started = time.perf_counter()
    train_shapes_classifier(
        settings["size"],
        settings["classes"],
        settings["train"],
        epochs,
        settings["seed"],
        callbacks=callbacks + [timer],
        verbose=0,
    )
    # Placed last, the timer starts after every other callback's train begin.
    return timer.begun - started, timer.epochs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=6, help="epochs per run (default: 6)")
    parser.add_argument("--generator", default="scratch", choices=["scratch", "pretrained"])
    parser.add_argument("--jit", action="store_true", help="compile the callback's step with XLA")
    parser.add_argument("--steps", type=int, help="the callback's `steps` (default: its own)")
    parser.add_argument(
        "--max-overhead",
        type=_fraction_or_none,
        help="the callback's `max_overhead`, a fraction or 'none' (default: its own)",
    )
    parser.add_argument("--cache", default=os.path.join(HERE, ".cache"))
    parser.add_argument("--json", help="default: results/callback_overhead_<generator>[_jit].json")
    args = parser.parse_args(argv)
    if args.json is None:
        budget = "" if args.max_overhead is None else f"_max_{args.max_overhead}"
        name = f"callback_overhead_{args.generator}{'_jit' if args.jit else ''}{budget}.json"
        args.json = os.path.join(HERE, "results", name)

    from keras_featviz.callbacks import FeatureVisualizationCallback
    from keras_featviz.shapes import CLASS_NAMES

    settings = workloads.SHAPES
    kwargs = {"jit_compile": True} if args.jit else {}
    if args.steps is not None:
        kwargs["steps"] = args.steps
    if args.max_overhead is not None:
        kwargs["max_overhead"] = None if args.max_overhead == "none" else args.max_overhead
    if args.generator == "pretrained":
        args.model = "shapes"
        workloads.prepare(args)
        kwargs["decoder"] = workloads.shapes_paths(args.cache)[1]
    plain_begin, plain = timed_fit([], args.epochs)
    with tempfile.TemporaryDirectory() as log_dir:
        callback = FeatureVisualizationCallback(
            log_dir=log_dir,
            class_names=list(CLASS_NAMES[: settings["classes"]]),
            generator=args.generator,
            **kwargs,
        )
        watched_begin, watched = timed_fit([callback], args.epochs)
    # Epoch 1 holds compilation; the steady state is what users pay. The
    # shared machine's speed drifts between runs (the same epoch has taken
    # 3.8 s and 8.3 s), so the overhead is taken within the watched run:
    # the callback's own seconds against the rest of the same epoch.
    later = range(1, len(watched))
    callback_s = statistics.median(callback.seconds[e] for e in later)
    training_s = statistics.median(watched[e] - callback.seconds[e] for e in later)
    overhead = callback_s / training_s
    # Building and compiling: in train begin, and in the first visualization.
    setup = watched_begin - plain_begin + callback.seconds[0] - callback_s
    figures = {
        "generator": args.generator,
        "targets": settings["classes"],
        "jit_compile": bool(args.jit),
        "steps": callback.steps,
        "max_overhead": callback.max_overhead,
        "steps_run_per_epoch": [callback.steps_run[e] for e in sorted(callback.steps_run)],
        "width": callback.visualizer.width if args.generator == "scratch" else None,
        "epoch_s_training": round(training_s, 2),
        "epoch_s_callback": round(callback_s, 2),
        "overhead_percent": round(100 * overhead, 1),
        "one_off_setup_s": round(setup, 2),
        "epoch_s_run_without_callback": round(statistics.median(plain[1:]), 2),
        "last_success_rate": callback.last_result.success_rate if callback.last_result else None,
        "machine": workloads.machine()["description"],
    }
    print(
        f"Shapes demo classifier trained as the demo trains it ({settings['train']} images of "
        f"{settings['size']}x{settings['size']} and an augmented copy, validation each epoch), "
        f"{args.epochs} epochs; callback: {args.generator}, {settings['classes']} classes, "
        f"at most {callback.steps} steps per epoch, max_overhead {callback.max_overhead}"
    )
    print(f"  steps run, epoch by epoch:       {figures['steps_run_per_epoch']}")
    print(
        f"  training per epoch (median):     {training_s:.2f} s "
        f"(a run without the callback: {figures['epoch_s_run_without_callback']:.2f} s)"
    )
    print(f"  callback per epoch (median):     {callback_s:.2f} s")
    print(f"  overhead per epoch:              {100 * overhead:.1f}%  (one-off setup {setup:.1f} s)")
    print(f"  last success rate:               {figures['last_success_rate']:.0%}")
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as handle:
        json.dump(figures, handle, indent=2)
    print(f"Wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
