"""Dataset examples: the top-k real images per target, streamed from any data form."""

import tracemalloc

import keras
import numpy as np
import pytest

import keras_featviz
from keras_featviz import objectives

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends

NAMES = ["red", "green", "blue"]


def brute_force(model, images, layer_model=None):
    """Every image's class logits and conv channel means, computed directly."""
    logits_model = keras.Model(model.inputs, model.layers[-1].input)
    kernel, bias = model.layers[-1].get_weights()
    logits = logits_model.predict(images, verbose=0) @ kernel + bias
    conv = keras.Model(model.inputs, model.get_layer("conv").output).predict(images, verbose=0)
    return logits, conv.mean(axis=(1, 2))


def test_top_k_are_the_highest_scoring_images(trained_classifier, patches):
    images, labels = patches[0][:200], patches[1][:200]
    targets = [2, objectives.channel("conv", 5)]
    found = keras_featviz.dataset_examples(trained_classifier, (images, labels), targets, k=5, batch_size=48)
    logits, channels = brute_force(trained_classifier, images)
    for t, values in enumerate([logits[:, 2], channels[:, 5]]):
        expected = np.argsort(-values, kind="stable")[:5]
        assert list(found.indices[t]) == list(expected)
        np.testing.assert_allclose(found.scores[t], values[expected], rtol=1e-4, atol=1e-5)
        np.testing.assert_array_equal(found.images[t], images[expected])
        np.testing.assert_array_equal(found.classes[t], labels[expected])
    assert found.names == ["class_2", "conv/channel_5"]
    # The blue class's best images are blue patches.
    assert set(found.classes[0]) == {2}


def _py_dataset(images, labels, batch):
    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return -(-len(images) // batch)

        def __getitem__(self, i):
            return images[i * batch : (i + 1) * batch], labels[i * batch : (i + 1) * batch]

    return Batches()


@pytest.mark.parametrize("form", ["array", "py_dataset", "tf_data_batched", "tf_data_unbatched"])
def test_every_data_form_gives_the_same_examples(trained_classifier, patches, form):
    images, labels = patches[0][:90], patches[1][:90]
    expected = keras_featviz.dataset_examples(trained_classifier, (images, labels), [0, 1], k=4)
    if form == "array":
        data = images
    elif form == "py_dataset":
        data = _py_dataset(images, labels, 32)
    else:
        import tensorflow as tf

        data = tf.data.Dataset.from_tensor_slices((images, labels))
        data = data.batch(25) if form == "tf_data_batched" else data
    found = keras_featviz.dataset_examples(trained_classifier, data, [0, 1], k=4)
    np.testing.assert_array_equal(found.indices, expected.indices)
    np.testing.assert_array_equal(found.images, expected.images)
    if form != "array":
        np.testing.assert_array_equal(found.classes, expected.classes)


def test_memory_stays_bounded_on_100k_streamed_images(trained_classifier):
    class Stream(keras.utils.PyDataset):
        """100,000 images made batch by batch, never held together (147 MB as float32)."""

        def __len__(self):
            return 200

        def __getitem__(self, i):
            rng = np.random.default_rng(i)
            return rng.uniform(0, 255, (500, 16, 16, 3)).astype("float32")

    tracemalloc.start()
    found = keras_featviz.dataset_examples(trained_classifier, Stream(), [0, 1, 2], k=8, batch_size=500)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert found.indices.max() < 100_000 and found.indices.max() > 1_000
    assert peak < 30 * 2**20, f"peak Python allocation {peak / 2**20:.1f} MB"


def test_sheet_rows_put_the_synthesized_image_first(trained_classifier, patches):
    found = keras_featviz.dataset_examples(
        trained_classifier, patches, ["red", "blue"], k=3, class_names=NAMES
    )
    assert found.labels == ["red", "blue"]
    synthesized = np.zeros((2, 16, 16, 3), "uint8")
    tiles, captions = found.strip(1, synthesized[1])
    assert len(tiles) == 4 and captions[0] == "synthesized"
    assert captions[1] == f"#{found.indices[1, 0]} a={found.scores[1, 0]:.3g} blue"
    assert found.sheet(synthesized=synthesized).size == (4 * 128, 2 * (14 + 128 + 14))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"k": 0}, "`k` must be an integer >= 1. Received: k=0"),
        (
            {"targets": [5]},
            "Class index out of range: the classifier has 3 classes (0 to 2). Received: class=5",
        ),
        ({"targets": "red"}, "A class name is a target only when `class_names` are given"),
        ({"data": np.zeros((0, 16, 16, 3))}, "`data` must hold at least one image. Received: no images"),
        (
            {"data": np.zeros((4, 8, 8, 3))},
            "Images must be (N, 16, 16, 3) for this classifier. Received: a batch with shape (4, 8, 8, 3)",
        ),
    ],
)
def test_bad_arguments_are_named(trained_classifier, kwargs, message):
    arguments = {"data": np.zeros((4, 16, 16, 3)), "targets": [0], **kwargs}
    with pytest.raises(ValueError) as error:
        keras_featviz.dataset_examples(trained_classifier, **arguments)
    assert str(error.value).startswith(message)


def test_captions_name_the_source_files_when_given():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")]
    )
    images = np.random.default_rng(0).uniform(0, 255, (4, 8, 8, 3)).astype("float32")
    from keras_featviz.views.dataset_search import ExampleFinder

    finder = ExampleFinder(model, [keras_featviz.objectives.class_(0)], k=2)
    named = finder.find(images, sources=["a.png", "b.png", "c.png", "d.png"])
    plain = finder.find(images)
    index = named.indices[0, 0]
    assert named.caption(0, 0).startswith("abcd"[index] + ".png a=")
    assert plain.caption(0, 0).startswith(f"#{index} a=")
