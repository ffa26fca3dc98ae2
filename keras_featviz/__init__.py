"""keras-featviz: what a Keras image classifier has learnt, in pictures.

A generator network coupled to a frozen copy of the classifier (softmax
replaced by ReLU, cross-class penalty) is trained by backpropagation to make
the image each target responds to most (Despraz et al.). The public API:

- `FeatureVisualizer`: visualize classes, channels, units or weighted groups.
- `AmortisedVisualizer`: one generator trained on all classes, then any
  class's image (and new samples of it) in one forward pass.
- `VisualizerConfig`: every option of the visualizer (and the callbacks'
  and the command line's), checked once.
- `make_atlas`: every class and every channel of some layers, in chunks
  that resume after a kill and split across processes.
- `dataset_examples`: the real images each target responds to most.
- `load_images`: a folder of photos of any sizes as one batch of the
  classifier's size (centre crops).
- `Attributor`: attribution maps (saliency, Grad-CAM, ...) of real images.
- `MemorizationMeter`: which training images the class images resemble,
  more than held-out ones, with the shift between the two sets apart.
- `DenoisingAutoencoder`: train the decoder that serves as pretrained
  generator.
- `GeneratorSource`: how the image is made (scratch, pretrained, a model).
- `objectives`: targets that compose with `+`, `-` and `*`.
- `callbacks`: Keras callbacks that log the images to TensorBoard.
- `preprocessing`: what the classifier expects of its pixels.
- `defaults`: every default, defined once.

Names are imported on first use, so `import keras_featviz` (and the
command line's `--help`) does not load Keras until something needs it.
"""

import importlib

__version__ = "0.2.0"

_ATTRIBUTES = {
    "AmortisedVisualizer": "keras_featviz.amortised",
    "Attributor": "keras_featviz.views.attribution",
    "dataset_examples": "keras_featviz.views.dataset_search",
    "DenoisingAutoencoder": "keras_featviz.makers.autoencoder",
    "FeatureVisualizer": "keras_featviz.visualizer",
    "GeneratorSource": "keras_featviz.makers.generator_source",
    "load_images": "keras_featviz.io.folders",
    "make_atlas": "keras_featviz.atlas",
    "MemorizationMeter": "keras_featviz.views.memorization",
    "Visualization": "keras_featviz.io.results",
    "VisualizerConfig": "keras_featviz.config",
}
_MODULES = ("callbacks", "defaults", "devices", "objectives", "preprocessing")

__all__ = sorted([*_ATTRIBUTES, *_MODULES])


def __getattr__(name):
    if name in _ATTRIBUTES:
        return getattr(importlib.import_module(_ATTRIBUTES[name]), name)
    if name in _MODULES:
        return importlib.import_module(f"keras_featviz.{name}")
    raise AttributeError(f"module 'keras_featviz' has no attribute {name!r}")


def __dir__():
    return __all__
