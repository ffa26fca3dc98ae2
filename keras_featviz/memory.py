"""How many targets fit in one optimisation step under a memory budget.

A step keeps every layer's output of the generator and the classifier for
the backward pass, and a batched scratch generator (`TargetConv2D`) also
lays out each convolution's input patches. `targets_per_step` counts those
for one target from the layers' shapes and divides the budget by it, so a
sweep of VGG16 at 224x224 is cut into chunks that fit, where 64 targets in
one step would not.
"""

import math

import keras

from keras_featviz.layers import TargetConv2D

BYTES_PER_VALUE = 4  # float32
# Each value kept for the backward pass also has a gradient, and the
# backends hold temporaries beside both; measured peaks stayed under this.
OVERHEAD = 3
DEFAULT_MEMORY_BUDGET = 4 * 2**30


def _size(shape):
    return math.prod(d for d in shape[1:] if d is not None)


def _layer_values(layer):
    if isinstance(layer, keras.Model):
        return activation_values(layer)
    values = 0
    for output in keras.tree.flatten(layer.output):
        values += _size(output.shape)
    if isinstance(layer, TargetConv2D):
        # The patches: k * k views of the padded input.
        values += _size(layer.output.shape) // layer.filters * layer.kernel_size**2 * layer.input.shape[-1]
    return values


def activation_values(model):
    """Float values one sample keeps for the backward pass of `model`."""
    return sum(_layer_values(layer) for layer in model.layers)


def bytes_per_target(generator, probe):
    """Estimated bytes of one target in a training step of the coupled model."""
    values = activation_values(generator) + activation_values(probe)
    return OVERHEAD * BYTES_PER_VALUE * values


def targets_per_step(generator, probe, budget):
    """The most targets a step of `generator` and `probe` holds in `budget` bytes.

    At least 1: a single target over budget still runs, as it would alone.
    """
    return max(1, int(budget // bytes_per_target(generator, probe)))
