"""Sweep every class of one classifier with each method, side by side.

Prints one row per method: targets per second, success rate (share of
targets whose image the classifier ranks first), mean probability of the
target class on its image, peak memory, and the FLOP/s achieved against the
matrix-multiply rate measured on the same machine. Writes the table as JSON
too (`--json`), so runs can be compared.

Methods:
- `reference-scratch`, `reference-pretrained`: the paper's procedure, one
  target at a time, batch 1, Table 1's optimisers, noise and step counts
  (500 scratch, 1,200 pretrained), Table 2's full-width generator, Eq. 2's
  loss exactly (no gradient for an inactive target). Slow, so by default
  only the first 6 targets.
- `featviz-pretrained`: keras-featviz, all targets batched.
- `featviz-scratch`: keras-featviz's scratch mode over the same targets.
- `pixel`, `pixel-jitter`: gradient ascent on the input image (the classic
  baseline), all targets batched, the same number of steps.
- `tf-keras-vis`: its `ActivationMaximization` with defaults, if installed
  (TensorFlow backend only).

Each method runs in its own process, so its peak memory and compile time are
its own. Timings include building and compiling: ratios within one run are
what to compare.

Usage (the shapes demo classifier by default, trained and cached first):

    python benchmarks/sweep.py                       # about 10 min on 2 cores
    python benchmarks/sweep.py --model vgg16 --targets 0-999 --methods featviz-pretrained \
        --decoder dae224.keras --memory-gb 100        # the GPU run
    KERAS_BACKEND=jax python benchmarks/sweep.py ...  # any backend for the core
    python benchmarks/sweep.py --precision mixed_bfloat16 --methods featviz-pretrained,featviz-scratch
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import workloads  # noqa: E402  (benchmarks/ is not a package)

METHODS = (
    "reference-scratch",
    "reference-pretrained",
    "featviz-pretrained",
    "featviz-scratch",
    "pixel",
    "pixel-jitter",
    "tf-keras-vis",
)
# The paper's step counts, used by the reference methods.
PAPER_STEPS = {"scratch": 500, "pretrained": 1200}


def run_method(args, method):
    """One method in this process: returns its row of the table."""
    import numpy as np

    classifier, decoder, preprocess = workloads.load(args)
    targets = workloads.parse_targets(args.targets, classifier)
    if method.startswith("reference") and args.reference_targets:
        targets = targets[: args.reference_targets]
    steps = args.steps
    if method.startswith("reference"):
        steps = args.reference_steps or PAPER_STEPS[method.split("-")[1]]
    started = time.perf_counter()
    images, count_flops, batch = workloads.METHOD_RUNNERS[method](
        classifier, decoder, preprocess, targets, steps, args
    )
    seconds = time.perf_counter() - started
    flops_per_step = count_flops()
    probabilities = workloads.probabilities(classifier, preprocess, images)
    chosen = probabilities[np.arange(len(targets)), targets]
    return {
        "method": method,
        "targets": len(targets),
        "steps": steps,
        "seconds": round(seconds, 2),
        "targets_per_s": round(len(targets) / seconds, 3),
        "success_rate": round(float(np.mean(probabilities.argmax(1) == np.array(targets))), 3),
        "mean_target_probability": round(float(chosen.mean()), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_device_mb": workloads.peak_device_mb(),
        "achieved_gflops": round(flops_per_step * steps * -(-len(targets) // batch) / seconds / 1e9, 2),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="shapes", help="shapes (default), a .keras file or vgg16")
    parser.add_argument(
        "--decoder", help="autoencoder .keras for pretrained methods (default: trained on the shapes)"
    )
    parser.add_argument("--preprocess", help="preprocessing of a .keras model (default: none)")
    parser.add_argument("--targets", default="all", help="class ranges like 0-99, or all (default)")
    parser.add_argument(
        "--methods", default=",".join(METHODS), help="comma-separated subset of " + ", ".join(METHODS)
    )
    parser.add_argument(
        "--steps", type=int, default=150, help="steps per target, every method (default: 150)"
    )
    parser.add_argument(
        "--reference-targets",
        type=int,
        default=6,
        help="sweep only the first N targets with the slow reference methods (0: all; default: 6)",
    )
    parser.add_argument(
        "--reference-steps",
        type=int,
        default=0,
        help="steps of the reference methods (0: the paper's, 500 scratch and 1200 pretrained)",
    )
    parser.add_argument(
        "--width", type=float, default=0.5, help="keras-featviz scratch generator width (default: 0.5)"
    )
    parser.add_argument(
        "--memory-gb",
        type=float,
        help="keras-featviz's memory budget per step in GiB (default: 4); raise it on a large GPU",
    )
    parser.add_argument(
        "--precision",
        choices=["float32", "mixed_bfloat16", "mixed_float16"],
        help="keras-featviz's `precision` (mixed precision); default: float32 generator, "
        "the classifier's own policy",
    )
    parser.add_argument(
        "--cache",
        default=os.path.join(HERE, ".cache"),
        help="where the shapes classifier and decoder are kept",
    )
    parser.add_argument(
        "--json", default=os.path.join(HERE, "results", "sweep.json"), help="JSON output path"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # run one method in this process
    args = parser.parse_args(argv)

    if args.one:
        print("ROW " + json.dumps(run_method(args, args.one)), flush=True)
        return 0
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown methods {unknown}; choose from {', '.join(METHODS)}")
    workloads.prepare(args)  # train and cache the default classifier and decoder once
    machine = workloads.machine()
    print(f"Machine: {machine['description']}; matmul {machine['matmul_gflops']:.0f} GFLOP/s measured")
    rows = []
    for method in methods:
        if method == "tf-keras-vis" and not workloads.tf_keras_vis_available():
            print(f"{method}: skipped (pip install tf-keras-vis, TensorFlow backend)")
            continue
        print(f"{method}...", flush=True)
        row = _run_child(method, argv or sys.argv[1:])
        if row is not None:
            row["matmul_share"] = round(row["achieved_gflops"] / machine["matmul_gflops"], 4)
            rows.append(row)
            print(
                f"  {row['targets_per_s']:.3f} targets/s, {row['success_rate']:.0%} first, "
                f"{row['seconds']:.0f} s",
                flush=True,
            )
    print()
    print(format_table(rows))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as handle:
        json.dump(
            {"machine": machine, "args": {k: v for k, v in vars(args).items() if k != "one"}, "rows": rows},
            handle,
            indent=2,
        )
    print(f"\nWrote {args.json}")
    return 0


def _run_child(method, argv):
    command = [sys.executable, os.path.abspath(__file__), *argv, "--one", method]
    process = subprocess.run(command, capture_output=True, text=True)
    for line in process.stdout.splitlines():
        if line.startswith("ROW "):
            return json.loads(line[4:])
    tail = (process.stderr or process.stdout).strip().splitlines()[-5:]
    print(f"  {method} failed (exit {process.returncode}):\n    " + "\n    ".join(tail))
    return None


def format_table(rows):
    columns = [
        ("method", "method", "{}"),
        ("targets", "targets", "{}"),
        ("steps", "steps", "{}"),
        ("targets_per_s", "targets/s", "{:.3f}"),
        ("success_rate", "success", "{:.0%}"),
        ("mean_target_probability", "mean p(target)", "{:.2f}"),
        ("peak_rss_mb", "peak RSS MB", "{}"),
        ("peak_device_mb", "peak device MB", "{}"),
        ("achieved_gflops", "GFLOP/s", "{:.1f}"),
        ("matmul_share", "of matmul", "{:.1%}"),
    ]
    header = "| " + " | ".join(title for _, title, _ in columns) + " |"
    lines = [header, "|" + "---|" * len(columns)]
    for row in rows:
        cells = [fmt.format(row[key]) if row.get(key) is not None else "-" for key, _, fmt in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
