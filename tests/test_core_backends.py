"""The core is backend-agnostic: no TensorFlow import, runs on any backend.

.ci/run runs this file again with KERAS_BACKEND=jax.
"""

import ast
import pathlib

import numpy as np
import pytest

import keras_featviz

from conftest import colour_patches, tiny_classifier, train

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends

PACKAGE = pathlib.Path(keras_featviz.__file__).parent
TENSORBOARD_MODULES = {"tensorboard.py"}


def test_no_core_module_imports_tensorflow_or_keras_src():
    for path in PACKAGE.rglob("*.py"):
        if path.name in TENSORBOARD_MODULES:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("tensorflow", "keras.src")), f"{path.name} imports {name}"


def test_visualize_on_this_backend():
    images, labels = colour_patches(300)
    model = train(tiny_classifier(), images, labels, epochs=6)
    result = keras_featviz.FeatureVisualizer(model, "scratch", width=0.25, seed=0).visualize(
        [0, 1, 2], steps=150, verbose=0
    )
    assert result.images.shape == (3, 16, 16, 3)
    np.testing.assert_array_equal(result.predicted_classes, [0, 1, 2])
