"""What a step costs in arithmetic, and a generator sized to the classifier.

`forward_flops` counts the multiply-adds (x 2) of a model's convolutions
and dense layers for one sample; `sized_width` picks the scratch
generator's width for a classifier so that making the image costs no more
than the classifier's own forward pass. The paper's generator at full width
costs about 25 times EfficientNet-Lite0's forward pass at 224x224
(`benchmarks/real_models.py --costs`), which is what made the previous
release take hours on a CPU.
"""

import math

from keras_featviz.makers import generators
from keras_featviz.surgery import leaf_layers

# Widths tried, widest first: the paper's, then halved.
WIDTHS = (1.0, 0.5, 0.25, 0.125)
# A generator's forward pass may cost this many times the classifier's: at
# 224x224, width 0.125 for EfficientNet-Lite0 (0.35 against 0.77 GFLOP),
# the paper's 1.0 for VGG16 (20 against 31). Measured on Lite0's 20
# benchmark classes (`benchmarks/real_models.py`, 150 steps): width 0.125
# took 22.5 s a class with 95% of its images in an independent model's top
# 5; width 0.25 (a share of 2) took 40.3 s for 85%.
MAX_GENERATOR_SHARE = 1.0
_CONVOLUTIONS = ("Conv2D", "TargetConv2D", "Conv2DTranspose")


def _spatial(shape):
    return math.prod(d for d in shape[1:3] if d is not None)


def forward_flops(model):
    """Multiply-adds x 2 of the convolutions and dense layers of `model`, one sample."""
    total = 0
    for layer in leaf_layers(model):
        name = type(layer).__name__
        if name in _CONVOLUTIONS:
            kernel = layer.kernel.shape[1:] if name == "TargetConv2D" else layer.kernel.shape
            positions = _spatial(layer.input.shape if name == "Conv2DTranspose" else layer.output.shape)
            total += 2 * positions * math.prod(kernel)
        elif name == "DepthwiseConv2D":
            total += 2 * _spatial(layer.output.shape) * math.prod(layer.kernel.shape)
        elif name == "Dense":
            total += 2 * math.prod(layer.kernel.shape)
    return total


def sized_width(image_shape, classifier, downsample=1):
    """The widest scratch generator whose forward pass costs at most the classifier's.

    Args:
        image_shape: The classifier's `(height, width, channels)`.
        classifier: The classifier (or its probe).
        downsample: The generator's `downsample`. Defaults to `1`.

    Returns:
        A width from `WIDTHS`: 1.0 (the paper's) when even that fits, as
        for VGG16 at 224x224, down to 0.125.
    """
    budget = MAX_GENERATOR_SHARE * forward_flops(classifier)
    for width in WIDTHS:
        generator = generators.scratch_generator(image_shape, width, downsample=downsample)
        if forward_flops(generator) <= budget:
            return width
    return WIDTHS[-1]
