"""Filters of a shallow and a deep layer (section 5.3, Fig. 8 of the paper).

Shows: what the first filters of an early convolution (edges, colours) and of
a late one (parts, textures) respond to. By default on the shapes demo
classifier (trained here in a minute); `--vgg16` runs the paper's
block1_conv2 / block5_conv3 on VGG16 with ImageNet weights (needs internet
once).
Takes: about 2 minutes on a 2-core CPU with the defaults.

    python examples/layer_filters.py --out featviz-filters
"""

import argparse
import os
import sys

import keras

import keras_featviz
from keras_featviz import objectives
from keras_featviz.demo import train_shapes_classifier


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--vgg16", action="store_true", help="VGG16 with ImageNet weights instead of the shapes CNN"
    )
    parser.add_argument("--filters", type=int, default=8, help="filters per layer (default: 8)")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--epochs", type=int, default=8, help="shapes classifier epochs")
    parser.add_argument("--train", type=int, default=3600, help="shapes training images")
    parser.add_argument("--size", type=int, default=32, help="shapes image side")
    parser.add_argument("--out", default="featviz-filters")
    args = parser.parse_args(argv)
    if args.vgg16:
        try:
            model = keras.applications.VGG16(weights="imagenet")
        except Exception as error:
            sys.exit(f"Could not load VGG16's ImageNet weights ({error}); this needs internet once.")
        layers, preprocess, width = ("block1_conv2", "block5_conv3"), "vgg16", 1.0
    else:
        model, _ = train_shapes_classifier(args.size, train=args.train, epochs=args.epochs, verbose=0)
        layers, preprocess, width = ("conv1", "conv3"), None, 0.5
    # The paper's generator, as in its Fig. 8 (on VGG16 the library's default
    # would be Lucid's Fourier image).
    visualizer = keras_featviz.FeatureVisualizer(model, "scratch", preprocess=preprocess, width=width, seed=0)
    for layer in layers:
        targets = [objectives.channel(layer, i) for i in range(args.filters)]
        result = visualizer.visualize(targets, steps=args.steps, verbose=0)
        folder = os.path.join(args.out, layer)
        result.save(folder)
        print(f"{layer}: mean activation {result.activations.mean():.3g}; wrote {folder}/grid.png")


if __name__ == "__main__":
    main()
