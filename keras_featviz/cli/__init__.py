"""The `keras-featviz` command line.

- `keras-featviz demo` runs the whole method on data the package makes
  itself: it trains a small CNN on the synthetic shapes (one class carrying a
  planted cue), pretrains a denoising autoencoder on them, visualizes every
  class in both generator modes, and writes PNGs and labelled grids.
- `keras-featviz visualize MODEL` visualizes the classes or filters of a
  saved `.keras` model or a `keras.applications` model.
- `keras-featviz train-dae IMAGES_DIR` trains the denoising autoencoder whose
  decoder is the pretrained generator.
- `keras-featviz attribute MODEL IMAGES` draws attribution maps (saliency,
  Grad-CAM, ...) of a folder of images.
- `keras-featviz examples MODEL DATA` finds the images of a dataset each class
  or filter responds to most.

A mistake in what was asked (a bad path, range or model name) is answered
with one line on stderr and exit status 2, before any long computation.

One module per command, each with its handler and its `add_parser`;
`common` holds what they share, `main` the parser and the entry point.
"""

from keras_featviz.cli.common import (
    ATTRIBUTION_METHODS,
    GENERATORS,
    CommandError,
    load_classifier,
    parse_indices,
)
from keras_featviz.cli.main import build_parser, main

__all__ = [
    "ATTRIBUTION_METHODS",
    "GENERATORS",
    "CommandError",
    "build_parser",
    "load_classifier",
    "main",
    "parse_indices",
]
