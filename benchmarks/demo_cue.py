"""Does the demo reveal its planted cue on every run? Seeds side by side.

For each seed: train the demo's shapes classifier (`keras-featviz demo`'s
settings: 3,600 images plus their photometric copies, 10 epochs, a white
square planted top left on every image of the cue class and on 2% of the
others), measure how much it relies on the cue, then visualize the 18
classes with the scratch generator (the demo's width and steps) twice:
with the feature vector started at a constant (alpha = 1, the release
before this one) and at N(0, 1) per target (`defaults.SCRATCH_SPREAD`);
and in pretrained mode, with the demo's autoencoder trained on the same
images.

Printed per seed and start:
- `cue pull`: the share of other classes' test images that the classifier
  calls the cue class once the cue is added to them (its reliance on the
  cue), and `recall w/o cue`: the cue class's test images recognised
  without the cue;
- `first`: the share of classes ranked first on their own image;
- `cue`: how much brighter the cue corner is in the cue class's image than
  in the others' (0-1; the demo's figure). The cue "shows" when this is
  above 0.1.

    python benchmarks/demo_cue.py --seeds 0 1 2 3 4
"""

import argparse
import time

import keras
import numpy as np

from keras_featviz import defaults
from keras_featviz.demo import (
    CLASS_NAMES,
    CUE_SHOWS,
    cue_contrast,
    cue_reliance,
    train_shapes_autoencoder,
    train_shapes_classifier,
)
from keras_featviz.makers import generators
from keras_featviz.makers.layers import FeatureVector
from keras_featviz.visualizer import FeatureVisualizer

from workloads import ConstantStart


def sweep(model, seed, start, cue_class, decoder=None, size=32, classes=18):
    generators.FeatureVector = ConstantStart if start == "constant" else FeatureVector
    kwargs = {"decoder": decoder} if start == "pretrained" else {"width": defaults.DEMO_WIDTH}
    visualizer = FeatureVisualizer(
        model,
        "pretrained" if start == "pretrained" else "scratch",
        seed=seed,
        class_names=list(CLASS_NAMES[:classes]),
        **kwargs,
    )
    result = visualizer.visualize(list(range(classes)), steps=defaults.DEMO_STEPS, verbose=0)
    generators.FeatureVector = FeatureVector
    return result.success_rate, cue_contrast(result, cue_class, size)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--cue-class", type=int, default=0)
    args = parser.parse_args()
    starts = ("constant", "N(0,1)", "pretrained")
    print(f"{'seed':>4} {'cue pull':>9} {'recall w/o cue':>15}  " + "  ".join(f"{s:>20}" for s in starts))
    table = {name: [] for name in starts}
    for seed in args.seeds:
        began = time.time()
        model, (images, _) = train_shapes_classifier(seed=seed, cue_class=args.cue_class, verbose=0)
        decoder = train_shapes_autoencoder(images, 32, seed=seed, verbose=0)
        pull, recall = cue_reliance(model, seed, args.cue_class)
        cells = []
        for name in starts:
            keras.utils.set_random_seed(seed)
            first, cue = sweep(model, seed, name, args.cue_class, decoder)
            table[name].append((first, cue))
            cells.append(f"first {first:4.0%} cue {cue:+.2f}")
        print(f"{seed:>4} {pull:>9.0%} {recall:>15.0%}  " + "  ".join(f"{c:>20}" for c in cells), flush=True)
        print(f"     ({time.time() - began:.0f} s)", flush=True)
    for name, rows in table.items():
        firsts, cues = np.array(rows).T
        print(
            f"{name}: first {firsts.mean():.0%} (min {firsts.min():.0%}); cue {cues.mean():+.2f} "
            f"(min {cues.min():+.2f}); shows (> {CUE_SHOWS}) on {int(np.sum(cues > CUE_SHOWS))}/{len(cues)} seeds"
        )


if __name__ == "__main__":
    main()
