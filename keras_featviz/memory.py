"""How many targets fit in one optimisation step under a memory budget.

A step keeps every layer's output of the generator and the classifier for
the backward pass, and a batched scratch generator (`TargetConv2D`) also
lays out each convolution's input patches, which the backward pass doubles
with their gradient. `targets_per_step` counts those for one target from
the layers' shapes and divides the budget by it, so a sweep of VGG16 at
224x224 is cut into chunks that fit, where 64 targets in one step would not.

Measured by `benchmarks/memory_per_target.py` with VGG16 at 224x224 on
TensorFlow's CPU backend (the growth of peak memory from 16 to 32 targets,
and from 2 to 6): 159 MiB per target in pretrained mode against 182 MiB
estimated, 1,029 MiB in scratch mode against 1,108 MiB estimated.
"""

import math

import keras

from keras_featviz.layers import TargetConv2D

BYTES_PER_VALUE = 4  # float32
PATCH_COPIES = 2  # the patches and their gradient
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
        patches = _size(layer.output.shape) // layer.filters * layer.kernel_size**2 * layer.input.shape[-1]
        values += PATCH_COPIES * patches
    return values


def activation_values(model):
    """Float values one sample holds at the peak of a training step of `model`."""
    return sum(_layer_values(layer) for layer in model.layers)


def bytes_per_target(generator, probe):
    """Estimated bytes of one target in a training step of the coupled model."""
    values = activation_values(generator) + activation_values(probe)
    return BYTES_PER_VALUE * values


def targets_per_step(generator, probe, budget):
    """The most targets a step of `generator` and `probe` holds in `budget` bytes.

    At least 1: a single target over budget still runs, as it would alone.
    """
    return max(1, int(budget // bytes_per_target(generator, probe)))
