"""Do the small-image defaults reveal planted cues of several kinds?

For each kind of planted cue in `keras_featviz.shapes.CUE_KINDS` (the demo's
white square at the top left, a pink patch at a random corner, a yellow
frame, a cyan dot at a fixed place, faint diagonal stripes) and each seed:
the demo's shapes classifier is trained with that cue on every image of
class 0 and on 2% of the others (`keras-featviz demo`'s settings). Its
reliance on the cue is measured on fresh test images (`pull`: the share of
other classes' images it calls class 0 once the cue is added). Then its 18
classes are visualized by each of `--makers`: by default `scratch` (the
paper's generator, then the small-image default) and `pretrained` (with an autoencoder
trained on the classifier's own training images); also `lucid` (Lucid's
Fourier image and transforms; since this benchmark was written, the
small-image defaults) and `scratch + transforms` (scratch mode with
Lucid's transforms). Each class image is scored by
`demo.cue_scores`.

With `--samples N` each class gets N images, from as many visualizer
seeds, and its cue score is their median (the demo judges its cue on 5).

Printed per kind, seed and maker: `first`, the share of classes ranked
first on their own image; `cue rank`, where class 0's image stands among
the 18 by its cue score (1: it shows the cue more than any other class's
image); `contrast`, its score minus the mean of the others'; the seconds
the maker took for the 18 classes.

    python benchmarks/planted_cues.py --seeds 0 1     # about 25 minutes a seed on 2 cores
    python benchmarks/planted_cues.py --seeds 0 1 --makers lucid
    python benchmarks/planted_cues.py --seeds 0 1 --makers lucid --samples 5   # about 20 minutes
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from keras_featviz.demo import cue_scores, train_shapes_autoencoder, train_shapes_classifier
from keras_featviz.shapes import CUE_KINDS, shapes_data
from keras_featviz.visualizer import FeatureVisualizer

HERE = Path(__file__).resolve().parent
SIZE, CLASSES, CUE_CLASS = 32, 18, 0
# With `--samples N`, the n-th image of a class comes from visualizer seed
# `seed + SAMPLE_SEEDS * n`.
SAMPLE_SEEDS = 1000


def reliance(model, kind, seed):
    fresh = seed + 100
    _, _, (cued, labels) = shapes_data(0, 0, 720, SIZE, fresh, CUE_CLASS, cue_rate=1.0, cue_kind=kind)
    others = labels != CUE_CLASS
    return float(np.mean(model.predict(cued[others], verbose=0).argmax(1) == CUE_CLASS))


def scored(results, kind):
    """Each class's cue score, the median over its images from `results` (one
    `Visualization` per visualizer seed), as the demo judges its cue."""
    scores = np.median([cue_scores(result.images, kind) for result in results], axis=0)
    rank = 1 + int(np.sum(scores > scores[CUE_CLASS]))
    contrast = float(scores[CUE_CLASS] - np.delete(scores, CUE_CLASS).mean())
    first = float(np.mean([result.success_rate for result in results]))
    return {"first": first, "rank": rank, "contrast": contrast}


# The image makers compared: the paper's scratch generator, pretrained mode,
# and Lucid's Fourier image with its transforms (the small-image defaults).
MAKERS = {
    "scratch": {"generator": "scratch"},
    "pretrained": {"generator": "pretrained"},
    "lucid": {"generator": "fourier", "transforms": "standard"},
    "scratch + transforms": {"generator": "scratch", "transforms": "standard"},
    "pretrained + transforms": {"generator": "pretrained", "transforms": "standard"},
    # Lucid's image with Eq. 2's cross-class penalty off or raised (the
    # default is 10/18 a class here): does pushing the other classes down
    # bring out what only the cue class has?
    "lucid, penalty 0": {"generator": "fourier", "transforms": "standard", "penalty": 0.0},
    "lucid, penalty 2": {"generator": "fourier", "transforms": "standard", "penalty": 2.0},
    "lucid, penalty 5": {"generator": "fourier", "transforms": "standard", "penalty": 5.0},
}


def run(kind, seed, makers, samples=1):
    model, (x, _) = train_shapes_classifier(
        SIZE, CLASSES, seed=seed, cue_class=CUE_CLASS, cue_kind=kind, verbose=0
    )
    row = {"pull": reliance(model, kind, seed)}
    targets = list(range(CLASSES))
    for maker in makers:
        options = dict(MAKERS[maker])
        if options.get("generator") == "pretrained":
            options["decoder"] = train_shapes_autoencoder(x, SIZE, seed=seed, verbose=0)
        started = time.time()
        results = [
            FeatureVisualizer(model, seed=seed + SAMPLE_SEEDS * n, **options).visualize(targets, verbose=0)
            for n in range(samples)
        ]
        row[maker] = {**scored(results, kind), "seconds": time.time() - started}
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--kinds", nargs="+", default=list(CUE_KINDS))
    parser.add_argument("--makers", nargs="+", default=["scratch", "pretrained"], choices=list(MAKERS))
    parser.add_argument(
        "--samples",
        type=int,
        default=1,
        help="images of each class, from as many visualizer seeds; a class's cue score is their median "
        "(the demo judges its cue on 5; default 1)",
    )
    args = parser.parse_args()
    results = {}
    print(
        f"{'kind':<14}{'seed':>5}{'pull':>7}  {'maker':<22}{'first':>6}{'cue rank':>10}{'contrast':>10}{'s':>6}"
    )
    for seed in args.seeds:
        for kind in args.kinds:
            started = time.time()
            row = run(kind, seed, args.makers, args.samples)
            results[f"{kind}/{seed}"] = row
            for maker in args.makers:
                m = row[maker]
                print(
                    f"{kind:<14}{seed:>5}{row['pull']:>7.0%}  {maker:<22}{m['first']:>6.0%}{m['rank']:>10}"
                    f"{m['contrast']:>+10.3f}{m['seconds']:>6.0f}",
                    flush=True,
                )
            print(f"  ({time.time() - started:.0f} s)", flush=True)
    # One file per set of makers, so a run of one maker keeps the others' results.
    name = "_".join(maker.replace(" + ", "_").replace(" ", "_") for maker in args.makers)
    name += f"_{args.samples}_samples" if args.samples > 1 else ""
    (HERE / "results" / f"planted_cues_{name}.json").write_text(json.dumps(results, indent=1))
    for maker in args.makers:
        shown = sum(r[maker]["rank"] == 1 for r in results.values())
        print(f"{maker}: the cue class's image shows its cue most in {shown} of {len(results)} runs")


if __name__ == "__main__":
    main()
