"""Keras callbacks: when and where the visualizations are made and logged.

- `FeatureVisualizationCallback`: add it to `model.fit` and watch, epoch by
  epoch in TensorBoard, the image each class (or filter) of the model under
  training responds to most.
- `AttributionCallback`: attribution maps (saliency, Grad-CAM, ...) of fixed
  validation images, epoch by epoch in TensorBoard.
- `MemorizationCallback`: per class and epoch, whether the class images
  resemble the training images more than held-out ones (an overfitting
  signal).
- `GeneratorImageLogger` and `ActivationEarlyStopping`: callbacks for the
  optimisation of the generator itself, passed to
  `FeatureVisualizer.visualize(callbacks=...)`.
"""

from keras_featviz.callbacks.attribution import AttributionCallback
from keras_featviz.callbacks.memorization import MemorizationCallback
from keras_featviz.callbacks.optimization import ActivationEarlyStopping, GeneratorImageLogger
from keras_featviz.callbacks.training import FeatureVisualizationCallback

__all__ = [
    "AttributionCallback",
    "ActivationEarlyStopping",
    "FeatureVisualizationCallback",
    "GeneratorImageLogger",
    "MemorizationCallback",
]
