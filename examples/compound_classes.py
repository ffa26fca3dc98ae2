"""Compound images: two classes in one picture (section 5.4 of the paper).

Shows: the image that maximises two classes at once (`objectives.classes`)
beside each class alone, on the shapes demo classifier. The compound
target reads the log-probabilities of both classes, so the image is
pushed until the classifier shares its belief between them: in our run
it ranks the two classes first and second of 18 on their compound image
(circle_line 0.42 + square_filled 0.31; cross_line 0.26 +
triangle_filled 0.25), where an image of either class alone gets 1.00.
The compounds look muted next to the single classes, a compromise that
is neither; the `a=` under them is the paper's activation (the sum of the
two classes' rectified logits), which can be 0 when both logits are
negative even though the two lead.
Takes: about 2 minutes on a 2-core CPU with the defaults.

    python examples/compound_classes.py --out featviz-compound
"""

import argparse

import numpy as np

import keras_featviz
from keras_featviz import defaults, objectives
from keras_featviz.demo import train_shapes_classifier
from keras_featviz.shapes import CLASS_NAMES

PAIRS = ((0, 8), (5, 15))  # circle_line + square_filled, triangle_filled + cross_line


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
        model, "scratch", width=defaults.DEMO_WIDTH, seed=0, class_names=list(CLASS_NAMES)
    )
    targets = []
    for a, b in PAIRS:
        targets += [a, b, objectives.classes([a, b])]
    result = visualizer.visualize(targets, steps=args.steps, verbose=0)
    result.save(args.out)
    for n, (a, b) in enumerate(PAIRS):
        p = result.probabilities[3 * n + 2]
        rank = {c: 1 + int(np.sum(p > p[c])) for c in (a, b)}  # 1: the class ranked first
        print(
            f"{CLASS_NAMES[a]} + {CLASS_NAMES[b]} on the compound image: p={p[a]:.2f} (ranked {rank[a]}) "
            f"and p={p[b]:.2f} (ranked {rank[b]}) of 18 classes"
        )
    print(f"Wrote {args.out}/grid.png (each row: class a, class b, both)")


if __name__ == "__main__":
    main()
