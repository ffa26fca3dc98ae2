"""keras-featviz: what a Keras image classifier has learnt, in pictures.

A generator network coupled to a frozen copy of the classifier (softmax
replaced by ReLU, cross-class penalty) is trained by backpropagation to make
the image each target responds to most (Despraz et al.). The public API:

- `FeatureVisualizer`: visualize classes, channels, units or weighted groups.
- `DenoisingAutoencoder`: train the decoder that serves as pretrained
  generator.
- `objectives`: targets that compose with `+`, `-` and `*`.
- `callbacks`: Keras callbacks that log the images to TensorBoard.
"""

from keras_featviz import objectives
from keras_featviz.autoencoder import DenoisingAutoencoder
from keras_featviz.results import Visualization
from keras_featviz.visualizer import FeatureVisualizer

__version__ = "0.1.0"

__all__ = [
    "DenoisingAutoencoder",
    "FeatureVisualizer",
    "Visualization",
    "objectives",
]
