"""What `FeatureVisualizationCallback` adds to an epoch of the shapes demo.

Trains the shapes demo classifier twice from the same seed, without and with
the callback at its default settings (every class, every epoch), and prints
the time per epoch of each and the overhead as a percentage, with the
one-off setup (building and compiling the coupled model) apart.

Usage:

    python benchmarks/callback_overhead.py              # about 3 min on 2 cores
    python benchmarks/callback_overhead.py --generator pretrained
    python benchmarks/callback_overhead.py --jit        # XLA on a TensorFlow CPU too
"""

import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import workloads  # noqa: E402  (benchmarks/ is not a package)


def epoch_timer():
    """A callback that records the wall time of each epoch in `.epochs`.

    Placed last, its epoch end comes after every other callback's.
    """
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.last, self.epochs = time.perf_counter(), []

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
        settings["size"], settings["classes"], settings["train"], epochs, settings["seed"],
        callbacks=callbacks + [timer], verbose=0,
    )
    return time.perf_counter() - started, timer.epochs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run (default: 4)")
    parser.add_argument("--generator", default="scratch", choices=["scratch", "pretrained"])
    parser.add_argument("--jit", action="store_true", help="compile the callback's step with XLA")
    parser.add_argument("--cache", default=os.path.join(HERE, ".cache"))
    parser.add_argument("--json", help="default: results/callback_overhead_<generator>[_jit].json")
    args = parser.parse_args(argv)
    if args.json is None:
        name = f"callback_overhead_{args.generator}{'_jit' if args.jit else ''}.json"
        args.json = os.path.join(HERE, "results", name)

    from keras_featviz.callbacks import FeatureVisualizationCallback
    from keras_featviz.data import CLASS_NAMES

    settings = workloads.SHAPES
    kwargs = {"jit_compile": True} if args.jit else {}
    if args.generator == "pretrained":
        args.model = "shapes"
        workloads.prepare(args)
        kwargs["decoder"] = workloads.shapes_paths(args.cache)[1]
    plain_total, plain = timed_fit([], args.epochs)
    with tempfile.TemporaryDirectory() as log_dir:
        callback = FeatureVisualizationCallback(
            log_dir=log_dir, class_names=list(CLASS_NAMES[: settings["classes"]]),
            generator=args.generator, **kwargs,
        )
        watched_total, watched = timed_fit([callback], args.epochs)
    # Epoch 1 of each run holds compilation; the steady state is what users pay.
    plain_epoch = sum(plain[1:]) / (len(plain) - 1)
    watched_epoch = sum(watched[1:]) / (len(watched) - 1)
    setup = watched[0] - plain[0] - (watched_epoch - plain_epoch)
    overhead = (watched_epoch - plain_epoch) / plain_epoch
    figures = {
        "generator": args.generator,
        "targets": settings["classes"],
        "jit_compile": bool(args.jit),
        "steps_per_epoch": callback.steps,
        "epoch_s_without": round(plain_epoch, 2),
        "epoch_s_with": round(watched_epoch, 2),
        "overhead_percent": round(100 * overhead, 1),
        "one_off_setup_s": round(setup, 2),
        "last_success_rate": callback.last_result.success_rate if callback.last_result else None,
        "machine": workloads.machine()["description"],
    }
    print(f"Shapes demo classifier trained as the demo trains it ({settings['train']} images of "
          f"{settings['size']}x{settings['size']} and an augmented copy, validation each epoch), "
          f"{args.epochs} epochs; callback: {args.generator}, {settings['classes']} classes, "
          f"{callback.steps} steps per epoch")
    print(f"  epoch without the callback: {plain_epoch:.2f} s")
    print(f"  epoch with the callback:    {watched_epoch:.2f} s")
    print(f"  overhead per epoch:         {100 * overhead:.1f}%  (one-off setup {setup:.1f} s)")
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as handle:
        json.dump(figures, handle, indent=2)
    print(f"Wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
