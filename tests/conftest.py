"""Shared fixtures: tiny classifiers trained in seconds on synthetic images,
and readers of what the callbacks wrote."""

import hashlib
import io

import keras
import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator

from keras_featviz.makers.autoencoder import DenoisingAutoencoder

SIZE = 16
COLOURS = np.array([[230, 40, 40], [40, 220, 60], [50, 70, 240]], "float32")


def colour_patches(count, seed=0, size=SIZE):
    """Class k: a patch of colour k at a random place on black, with noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(COLOURS)
    images = rng.normal(0, 8, (count, size, size, 3)).astype("float32")
    for image, label in zip(images, labels):
        side = rng.integers(size // 3, size // 2 + 1)
        top, left = rng.integers(0, size - side, 2)
        image[top : top + side, left : left + side] += COLOURS[label]
    return np.clip(images, 0, 255).astype("uint8"), labels


def tiny_classifier(input_shape=(SIZE, SIZE, 3), classes=3, name="tiny_cnn", activation="softmax"):
    keras.utils.set_random_seed(0)  # the same classifier whatever ran before
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Rescaling(1 / 255.0),
            keras.layers.Conv2D(8, 3, activation="relu", name="conv"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(classes, activation=activation, name="predictions"),
        ],
        name=name,
    )


def train(model, images, labels, epochs=8):
    keras.utils.set_random_seed(0)
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images, labels, epochs=epochs, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="session")
def patches():
    return colour_patches(600)


@pytest.fixture(scope="session")
def trained_classifier(patches):
    model = train(tiny_classifier(), *patches)
    accuracy = model.evaluate(*colour_patches(150, seed=1), verbose=0)[1]
    assert accuracy > 0.95, f"the fixture classifier did not learn: {accuracy}"
    return model


@pytest.fixture
def saved_classifier(trained_classifier, tmp_path):
    """The trained tiny classifier as a `.keras` file, for the command line."""
    path = tmp_path / "tiny.keras"
    trained_classifier.save(path)
    return str(path)


def fit_seeded(data, callbacks):
    """Two epochs of a seeded model with dropout, shuffled: a run any change to
    the random state, the weights or the optimizer would make differ."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3)),
            keras.layers.Rescaling(1 / 255.0),
            keras.layers.Conv2D(8, 3, activation="relu", name="conv"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(*data, epochs=2, batch_size=32, shuffle=True, verbose=0, callbacks=callbacks)
    return model


def weights_digest(model):
    digest = hashlib.sha256()
    for w in model.get_weights():
        digest.update(np.ascontiguousarray(w).tobytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def decoder_path(tmp_path_factory, patches):
    keras.utils.set_random_seed(0)
    dae = DenoisingAutoencoder((SIZE, SIZE, 3), width=0.25, seed=0)
    dae.fit_images(patches[0], epochs=25, batch_size=32, validation_split=0, verbose=0)
    path = str(tmp_path_factory.mktemp("dae") / "dae.keras")
    dae.save(path)
    return path


def fit_steps(model, f0, target, steps):
    model.compile(keras.optimizers.SGD(1e-3), keras.losses.MeanSquaredError(reduction="sum"))
    model.fit(f0, target, epochs=steps, batch_size=len(f0), verbose=0, shuffle=False)


def read_run(run_dir):
    accumulator = event_accumulator.EventAccumulator(
        str(run_dir), size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    return accumulator


def image_steps(accumulator, tag):
    # Sorted as TensorBoard's slider shows them: two fits within one second
    # write event files whose names (time, pid, writer counter) need not sort
    # in the order they were written, so the reader may load them either way.
    return sorted(event.step for event in accumulator.Tensors(tag))


def tensor_value(event):
    """The value of a TensorBoard scalar event."""
    from tensorboard.util import tensor_util

    return tensor_util.make_ndarray(event.tensor_proto)


def decoded(event):
    """The first image of a TensorBoard image summary (width, height, png...)."""
    blobs = event.tensor_proto.string_val
    return Image.open(io.BytesIO(blobs[2]))
