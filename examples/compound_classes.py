"""Compound images: two classes in one picture (section 5.4 of the paper).

Shows: the image that maximises two classes at once (`objectives.classes`)
beside each class alone, on the shapes demo classifier: the compound carries
features of both, and the classifier gives both high probability.
Takes: about 2 minutes on a 2-core CPU with the defaults.

    python examples/compound_classes.py --out featviz-compound
"""

import argparse

import keras_featviz
from keras_featviz import defaults, objectives
from keras_featviz.data import CLASS_NAMES
from keras_featviz.demo import train_shapes_classifier

PAIRS = ((0, 8), (5, 15))  # circle_line + square_double, triangle_filled + cross_filled


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--epochs", type=int, default=8, help="shapes classifier epochs")
    parser.add_argument("--train", type=int, default=3600, help="shapes training images")
    parser.add_argument("--size", type=int, default=32, help="shapes image side")
    parser.add_argument("--out", default="featviz-compound")
    args = parser.parse_args(argv)
    model, _ = train_shapes_classifier(args.size, train=args.train, epochs=args.epochs, verbose=0)
    visualizer = keras_featviz.FeatureVisualizer(
        model, width=defaults.DEMO_WIDTH, seed=0, class_names=list(CLASS_NAMES)
    )
    targets = []
    for a, b in PAIRS:
        targets += [a, b, objectives.classes([a, b])]
    result = visualizer.visualize(targets, steps=args.steps, verbose=0)
    result.save(args.out)
    for n, (a, b) in enumerate(PAIRS):
        p = result.probabilities[3 * n + 2]
        print(f"{CLASS_NAMES[a]} + {CLASS_NAMES[b]}: p={p[a]:.2f} and p={p[b]:.2f} on the compound image")
    print(f"Wrote {args.out}/grid.png (each row: class a, class b, both)")


if __name__ == "__main__":
    main()
