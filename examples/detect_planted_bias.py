"""Detecting a learnt bias: a planted cue shows up in the class's image.

Shows: one shapes class carries a small white square in the top-left corner
of every training image (and 2% of the others do too). The classifier reaches
high accuracy, and the visualization of that class paints the square: the
bias is visible without looking at a single test image (section 5.1 of the
paper: the "tench" that needs fingers).
Takes: about 2 minutes on a 2-core CPU with the defaults.

    python examples/detect_planted_bias.py --cue-class 4 --out featviz-bias
"""

import argparse

import keras_featviz
from keras_featviz import defaults
from keras_featviz.demo import cue_contrast, train_shapes_classifier
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
    visualizer = keras_featviz.FeatureVisualizer(
        model, "scratch", width=defaults.DEMO_WIDTH, seed=0, class_names=names
    )
    result = visualizer.visualize(range(args.classes), steps=args.steps, verbose=0)
    result.save(args.out)
    contrast = cue_contrast(result, args.cue_class, args.size)
    verdict = "shows the planted cue" if contrast > 0.1 else "does not clearly show the cue"
    print(
        f"The top-left corner is {contrast:+.2f} brighter in the image of {names[args.cue_class]!r} "
        f"than in the other classes' images: the visualization {verdict}. Grid: {args.out}/grid.png"
    )
    return contrast


if __name__ == "__main__":
    main()
