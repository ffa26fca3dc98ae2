"""How many targets fit in one optimisation step under a memory budget.

A step keeps every layer's output of the generator and the classifier for
the backward pass, and a batched scratch generator (`TargetConv2D`) also
lays out each convolution's input patches, which the backward pass doubles
with their gradient. Each target also owns its trainable weights (a whole
generator in scratch mode), held several times over. `targets_per_step`
counts those for one target from the layers' shapes and divides the budget
by it, so a sweep of VGG16 at 224x224 is cut into chunks that fit, where
64 targets in one step would not.

Measured by `benchmarks/memory_per_target.py` with VGG16 at 224x224 on
TensorFlow's CPU backend (the growth of peak memory from 16 to 32 targets,
and from 4 to 12): 159 MiB per target in pretrained mode against 182 MiB
estimated, 530 MiB in scratch mode against 554 MiB estimated.
"""

import math

import keras

from keras_featviz.makers import patches
from keras_featviz.makers.layers import TargetConv2D
from keras_featviz.surgery import is_graph_model

BYTES_PER_VALUE = 4  # float32
PATCH_COPIES = 2  # the patches and their gradient
# A target's trainable weights: the variable, its gradient, the optimizer's
# two slots, and the initial and staged copies a session restores from.
WEIGHT_COPIES = 6


def _size(shape):
    return math.prod(d for d in shape[1:] if d is not None)


def _layer_values(layer):
    if isinstance(layer, keras.Model) and is_graph_model(layer):
        return activation_values(layer)
    # A subclassed model inside a functional one counts by its output
    # alone: its inner layers have no symbolic outputs to count.
    values = 0
    for output in keras.tree.flatten(layer.output):
        values += _size(output.shape)
    if isinstance(layer, TargetConv2D):
        values += PATCH_COPIES * patches.patch_values(
            layer.input_size,
            layer.kernel.shape[3],
            layer.kernel_size,
            layer.padding,
            layer.upsample,
        )
    return values


def activation_values(model):
    """Float values one sample holds at the peak of a training step of `model`."""
    return sum(_layer_values(layer) for layer in model.layers)


def bytes_per_target(generator, probe):
    """Estimated bytes of one target in a training step of the coupled model."""
    values = activation_values(generator) + activation_values(probe)
    weights = sum(math.prod(v.shape) for v in generator.trainable_weights)
    return BYTES_PER_VALUE * (values + WEIGHT_COPIES * weights)


def targets_per_step(generator, probe, budget):
    """The most targets a step of `generator` and `probe` holds in `budget` bytes.

    At least 1: a single target over budget still runs, as it would alone.
    """
    return max(1, int(budget // bytes_per_target(generator, probe)))
