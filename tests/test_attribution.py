"""Attribution maps: right gradients, mass on a planted cue, and Adebayo et al.'s
sanity check (maps of a randomised classifier must differ)."""

import keras
import numpy as np
import pytest

from keras_featviz import objectives
from keras_featviz.io.sheets import CAPTION_HEIGHT, labelled_rows
from keras_featviz.views.attribution import METHODS, Attributor, grad_cam_layer

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends

CUE_SIZE = 24
CUE = np.zeros((CUE_SIZE, CUE_SIZE), bool)
CUE[0:7, 0:7] = True  # the 3x3 cue at (2, 2) and two pixels around it


def cue_data(count, seed=0):
    """Class 1 carries a white 3x3 cue in the top left; both classes a random
    coloured square elsewhere, which says nothing of the class."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 2
    images = rng.normal(40, 12, (count, CUE_SIZE, CUE_SIZE, 3)).astype("float32")
    for image, label in zip(images, labels):
        side = rng.integers(6, 10)
        top, left = rng.integers(6, CUE_SIZE - side, 2)
        image[top : top + side, left : left + side] += rng.uniform(60, 200, 3)
        if label:
            image[2:5, 2:5] = 255
    return np.clip(images, 0, 255), labels


def cue_classifier():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((CUE_SIZE, CUE_SIZE, 3)),
            keras.layers.Rescaling(1 / 255.0),
            keras.layers.Conv2D(8, 3, activation="relu", padding="same", name="conv1"),
            keras.layers.Conv2D(8, 3, activation="relu", padding="same", name="conv2"),
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(2, activation="softmax", name="predictions"),
        ]
    )


@pytest.fixture(scope="module")
def cue_model():
    model = cue_classifier()
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = cue_data(400)
    model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert model.evaluate(*cue_data(40, seed=1), verbose=0)[1] >= 0.95, "the cue model did not learn"
    return model


@pytest.fixture(scope="module")
def cued_images():
    x, y = cue_data(40, seed=1)
    return x[y == 1][:6]


def cue_mass(maps):
    magnitude = np.abs(maps)
    return magnitude[:, CUE].sum(axis=1) / magnitude.reshape(len(maps), -1).sum(axis=1)


def ranks(values):
    """Ranks from 0, ties sharing their average rank (as Spearman's correlation needs)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    group = np.cumsum(np.r_[True, ordered[1:] != ordered[:-1]]) - 1
    ranked = np.empty(len(values))
    ranked[order] = ((starts + ends - 1) / 2)[group]
    return ranked


def rank_correlation(a, b):
    """Spearman's correlation of two maps; 0 when one is blank (it orders nothing)."""
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(np.corrcoef(ranks(a.ravel()), ranks(b.ravel()))[0, 1])


def total_variation(a, b):
    """Half the L1 distance of the maps' magnitudes, each normalised to sum 1;
    1 when exactly one of them is blank, 0 when both are."""
    if not np.abs(a).sum() or not np.abs(b).sum():
        return float(bool(np.abs(a).sum()) != bool(np.abs(b).sum()))
    p, q = np.abs(a) / np.abs(a).sum(), np.abs(b) / np.abs(b).sum()
    return 0.5 * float(np.abs(p - q).sum())


@pytest.mark.parametrize("method", METHODS)
def test_maps_fall_on_the_planted_cue(cue_model, cued_images, method):
    result = Attributor(cue_model).attribute(cued_images, method, targets=1)
    assert result.maps[method].shape == (6, CUE_SIZE, CUE_SIZE)
    # The cue region is 8.5% of the image; the maps put most of their mass there.
    assert cue_mass(result.maps[method]).mean() > 0.5


@pytest.mark.parametrize("method", METHODS)
def test_maps_of_a_randomised_classifier_differ(cue_model, cued_images, method):
    """Adebayo et al.'s model randomisation test, on three random re-initialisations.

    The maps of a network with fresh random weights must not look like the
    trained network's: Spearman's rank correlation of the maps below 0.7,
    and at least 40% of their normalised mass elsewhere (total variation).
    Random networks' raw gradients still fall on the bright cue (it is the
    brightest thing in the image), so the cue mass alone would not tell.
    """
    trained = Attributor(cue_model).attribute(cued_images, method, targets=1)
    for seed in range(3):
        keras.utils.set_random_seed(seed)
        randomised_model = keras.models.clone_model(cue_model)  # fresh initial weights
        randomised = Attributor(randomised_model).attribute(cued_images, method, targets=1)
        # Both what is computed and what the sheets draw (a signed map with its sign).
        for a_maps, b_maps in [
            (trained.maps[method], randomised.maps[method]),
            (trained.drawn(method), randomised.drawn(method)),
        ]:
            assert np.mean([rank_correlation(a, b) for a, b in zip(a_maps, b_maps)]) < 0.7
            assert np.mean([total_variation(a, b) for a, b in zip(a_maps, b_maps)]) > 0.4


def test_signed_maps_are_drawn_with_their_sign(cue_model, cued_images):
    """Evidence for the target is drawn red, evidence against it blue, with a key under the sheet."""
    result = Attributor(cue_model).attribute(cued_images[:1], ["gradient_x_input", "saliency"], targets=1)
    result.maps["gradient_x_input"][0] = np.where(np.arange(CUE_SIZE) < CUE_SIZE // 2, 1.0, -1.0)[None, :]
    drawn = result.drawn("gradient_x_input")[0]
    assert drawn.min() == -1.0 and drawn.max() == 1.0
    assert result.drawn("saliency").min() >= 0.0
    tiles, captions = result.strip(0)
    signed = tiles[captions.index("gradient_x_input")].astype(int)
    left, right = signed[:, : CUE_SIZE // 2].mean(axis=(0, 1)), signed[:, CUE_SIZE // 2 :].mean(axis=(0, 1))
    assert left[0] > left[2] + 50 and right[2] > right[0] + 50  # red for, blue against
    plain = np.asarray(labelled_rows([tiles], [captions]))
    assert result.sheet().height == plain.shape[0] + 2 * CAPTION_HEIGHT + CAPTION_HEIGHT  # title, two keys


def test_integrated_gradients_add_up_to_the_score_change(trained_classifier, patches):
    images = patches[0][:4].astype("float32")
    attributor = Attributor(trained_classifier)  # the default 32 steps
    result = attributor.attribute(images, "integrated_gradients", targets=1)
    at_baseline = attributor.attribute(np.zeros_like(images), "saliency", targets=1).scores
    totals = result.maps["integrated_gradients"].sum(axis=(1, 2))
    np.testing.assert_allclose(totals, result.scores - at_baseline, rtol=0.05, atol=0.05)


def test_default_targets_are_the_predicted_classes(trained_classifier, patches):
    images, labels = patches[0][:6], patches[1][:6]
    result = Attributor(trained_classifier, class_names=["red", "green", "blue"]).attribute(images)
    assert list(result.target_classes) == list(labels)
    assert result.labels == [["red", "green", "blue"][k] for k in labels]
    assert result.title(0) == f"red: p={result.probabilities[0, 0]:.2f}"


def test_targets_by_name_objective_and_per_image(trained_classifier, patches):
    attributor = Attributor(trained_classifier, class_names=["red", "green", "blue"])
    images = patches[0][:2]
    result = attributor.attribute(images, "saliency", targets=["blue", objectives.channel("conv", 3)])
    assert result.labels == ["blue", "conv/channel_3"]
    assert list(result.target_classes) == [2, -1]


def test_grad_cam_layer_is_the_last_convolution_after_its_activation():
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, name="conv_a")(inputs)
    x = keras.layers.Conv2D(4, 3, name="conv_b")(x)
    x = keras.layers.BatchNormalization(name="norm")(x)
    x = keras.layers.ReLU(name="relu")(x)
    x = keras.layers.MaxPooling2D(name="pool")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    assert grad_cam_layer(model) == "relu"


def test_grad_cam_needs_a_convolution():
    model = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")]
    )
    with pytest.raises(ValueError, match="Grad-CAM needs a convolutional layer"):
        Attributor(model).attribute(np.zeros((1, 8, 8, 3)), "grad_cam")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"methods": "lime"},
            "`methods` must be one or more of ['saliency', 'gradient_x_input', 'smoothgrad', "
            "'integrated_gradients', 'grad_cam', 'occlusion']. Received: methods='lime'",
        ),
        (
            {"images": np.zeros((2, 8, 8, 3))},
            "Images must be an array (N, 16, 16, 3) for this classifier. Received: images with "
            "shape (2, 8, 8, 3)",
        ),
        (
            {"targets": [0, 1, 2]},
            "`targets` must be None, one target, or one target per image. Received: 3 targets for 2 images",
        ),
        (
            {"targets": 7},
            "Class index out of range: the classifier has 3 classes (0 to 2). Received: target=class_7",
        ),
    ],
)
def test_bad_arguments_are_named(trained_classifier, kwargs, message):
    arguments = {"images": np.zeros((2, 16, 16, 3)), "methods": "saliency", **kwargs}
    with pytest.raises(ValueError) as error:
        Attributor(trained_classifier).attribute(**arguments)
    assert str(error.value) == message


def test_the_classifier_is_only_read(trained_classifier, patches):
    from conftest import weights_digest

    before = weights_digest(trained_classifier)
    trainable = [layer.trainable for layer in trained_classifier.layers]
    Attributor(trained_classifier).attribute(patches[0][:3], list(METHODS))
    assert weights_digest(trained_classifier) == before
    assert [layer.trainable for layer in trained_classifier.layers] == trainable


def test_sheet_has_a_row_per_image_and_a_column_per_method(trained_classifier, patches, tmp_path):
    result = Attributor(trained_classifier).attribute(patches[0][:3], ["saliency", "occlusion"])
    paths = result.save(tmp_path)
    assert [p.rsplit("/", 1)[-1] for p in paths] == ["attribution.png"]
    sheet = result.sheet()
    # 16 px images are enlarged 8x to 128 px tiles: 3 tiles wide, 3 rows,
    # then a key to the two colour maps (occlusion signed, saliency not).
    assert sheet.size == (3 * 128, 3 * (128 + 2 * 14) + 2 * 14)


def _saturated_relu6_classifier():
    """Class 0 wins (p ~ 1) on its bias while every channel lowers its logit,
    and lowers class 1's three times more; a ReLU6 holds many units at 6."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(
        4, 3, padding="same", bias_initializer=keras.initializers.Constant(6.0), name="conv"
    )(inputs)
    x = keras.layers.ReLU(max_value=6.0, name="relu6")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    dense = keras.layers.Dense(2, activation="softmax", name="predictions")
    model = keras.Model(inputs, dense(x))
    dense.set_weights([np.stack([-np.ones(4), -3 * np.ones(4)], axis=1), np.array([30.0, 0.0])])
    return model


def test_grad_cam_is_not_blank_for_a_sure_class_whose_logit_every_channel_lowers():
    model = _saturated_relu6_classifier()
    images = np.random.default_rng(0).uniform(0, 1, (3, 16, 16, 3)).astype("float32")
    activations = keras.Model(model.input, model.get_layer("relu6").output).predict(images, verbose=0)
    assert (activations == 6.0).mean() > 0.2  # saturated
    result = Attributor(model).attribute(images, "grad_cam")
    assert (result.target_classes == 0).all() and (result.probabilities[:, 0] > 0.99).all()
    # Against the mean of the classes, every channel speaks for class 0.
    assert not result.blank["grad_cam"].any()
    assert (result.maps["grad_cam"] > 0).mean() > 0.9


def test_a_blank_map_is_flagged_in_the_result_and_on_the_sheet():
    model = _saturated_relu6_classifier()
    images = np.random.default_rng(0).uniform(0, 1, (2, 16, 16, 3)).astype("float32")
    result = Attributor(model).attribute(images, ["saliency", "grad_cam"], targets=1)  # evidence against
    assert result.blank["grad_cam"].all() and not result.blank["saliency"].any()
    tiles, captions = result.strip(0)
    assert captions == ["image", "saliency", "grad_cam: all zero"]
