"""Chunks under a memory budget: VGG16 at 224x224 is cut to fit."""

import keras

from keras_featviz import defaults
from keras_featviz.makers import generators
from keras_featviz.optimization import memory
from keras_featviz.surgery import ClassifierProbe


def test_vgg16_sweeps_in_chunks_that_fit_the_default_budget():
    probe = ClassifierProbe(keras.applications.VGG16(weights=None)).model
    pretrained = generators.latent_generator(generators.decoder_network((224, 224, 3)))
    scratch = generators.scratch_generator((224, 224, 3))
    budget = defaults.MEMORY_BUDGET
    # What the FeatureVisualizer docstring promises for its default budget.
    assert memory.targets_per_step(pretrained, probe, budget) == 22
    assert memory.targets_per_step(scratch, probe, budget) == 7
    assert memory.targets_per_step(scratch, probe, 1) == 1  # never zero
