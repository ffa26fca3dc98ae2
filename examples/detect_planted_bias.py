"""Detecting a learnt bias: a planted cue shows up in the class's image.

Shows: one shapes class carries a small white square in the top-left corner
of every training image (and 2% of the others do too). The classifier reaches
high accuracy, and the visualization of that class paints the square: the
bias is visible without looking at a single test image (section 5.1 of the
paper: the "tench" that needs fingers). One image is a coin toss, so the
class is judged on five from independent starts, side by side in
`cue_class.png`.
Takes: about 2 minutes on a 2-core CPU with the defaults.

    python examples/detect_planted_bias.py --cue-class 4 --out featviz-bias
"""

import argparse

import numpy as np

import keras_featviz
from keras_featviz import defaults
from keras_featviz.demo import CUE_SHOWS, cue_class_figures, train_shapes_classifier
from keras_featviz.shapes import CLASS_NAMES


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cue-class", type=int, default=4)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--classes", type=int, default=18)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--train", type=int, default=3600)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--out", default="featviz-bias")
    args = parser.parse_args(argv)
    model, _ = train_shapes_classifier(
        args.size, args.classes, args.train, args.epochs, cue_class=args.cue_class, verbose=0
    )
    names = list(CLASS_NAMES[: args.classes])
    # The paper's generator at the demo's width, whose corner the demo measures.
    config = keras_featviz.VisualizerConfig(
        generator="scratch", width=defaults.DEMO_WIDTH, seed=0, class_names=names
    )
    visualizer = keras_featviz.FeatureVisualizer(model, config=config)
    result = visualizer.visualize(range(args.classes), steps=args.steps, verbose=0)
    result.save(args.out)
    # One image per class is a coin toss: judge the class on five, from other starts.
    contrasts, sheet = cue_class_figures(model, config, result, args.cue_class, steps=args.steps)
    sheet.save(f"{args.out}/cue_class.png")
    contrast = float(np.median(contrasts))
    verdict = "show the planted cue" if contrast > CUE_SHOWS else "do not clearly show the cue"
    print(
        f"The top-left corner is {contrast:+.2f} brighter (median of {len(contrasts)} images) in the "
        f"images of {names[args.cue_class]!r} than in the other classes' images: they {verdict}. "
        f"Grid: {args.out}/grid.png; the class's images: {args.out}/cue_class.png"
    )
    return contrast


if __name__ == "__main__":
    main()
