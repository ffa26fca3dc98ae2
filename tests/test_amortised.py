"""`AmortisedVisualizer`: one generator trained on every class, then each
class's image in one forward pass."""

import numpy as np
import pytest

import keras_featviz

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


@pytest.fixture(scope="module")
def trained(trained_classifier):
    amortised = keras_featviz.AmortisedVisualizer(trained_classifier, seed=0, width=0.25)
    return amortised.fit(steps=80, batch_size=3, verbose=0)


def test_after_training_every_class_is_ranked_first_on_its_image(trained):
    result = trained.visualize([0, 1, 2])
    assert result.success_rate == 1.0
    assert result.images.dtype == np.uint8 and result.images.shape == (3, 16, 16, 3)
    assert trained.steps_trained == 80


def test_the_classifier_is_only_read(trained_classifier):
    before = [w.copy() for w in trained_classifier.get_weights()]
    keras_featviz.AmortisedVisualizer(trained_classifier, seed=1, width=0.25).fit(steps=3, verbose=0)
    for a, b in zip(before, trained_classifier.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_images_are_repeatable_and_samples_differ(trained):
    first = trained.visualize([0, 1])
    np.testing.assert_array_equal(first.images, trained.visualize([0, 1]).images)
    samples = trained.visualize([2, 2, 2], samples=True)
    assert len({image.tobytes() for image in samples.images}) == 3
    assert samples.success_rate >= 2 / 3


def test_visualizing_trains_nothing(trained):
    weights = [w.copy() for w in trained.generator.get_weights()]
    trained.visualize([0, 1, 2], samples=True)
    for a, b in zip(weights, trained.generator.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_it_takes_the_shared_configuration(trained_classifier):
    config = keras_featviz.VisualizerConfig(class_names=["red", "green", "blue"], seed=3, generator="scratch")
    amortised = keras_featviz.AmortisedVisualizer(trained_classifier, config=config, width=0.25)
    assert amortised.visualize([1]).labels == ["green"]


def test_an_option_it_would_ignore_is_refused(trained_classifier):
    with pytest.raises(ValueError) as raised:
        keras_featviz.AmortisedVisualizer(trained_classifier, generator="fourier", pyramid=False)
    assert str(raised.value) == (
        "AmortisedVisualizer makes its own generator and uses only ['preprocess', 'penalty', 'seed', "
        "'class_names', 'transforms', 'head', 'input_shape', 'precision', 'paper_loss'] of the visualizer "
        "options. Received: generator='fourier', pyramid=False"
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda a: a.visualize([3]), "`classes` must be class indices from 0 to 2. Received: classes=[3]"),
        (lambda a: a.fit(steps=0), "`steps` must be an integer >= 1. Received: steps=0"),
        (lambda a: a.visualize([]), "`classes` must be class indices from 0 to 2. Received: classes=[]"),
    ],
)
def test_bad_requests_are_named(trained, call, message):
    with pytest.raises(ValueError) as raised:
        call(trained)
    assert str(raised.value) == message


def test_fit_says_how_far_it_got_once_when_not_on_a_terminal(trained_classifier, capsys):
    amortised = keras_featviz.AmortisedVisualizer(trained_classifier, seed=0, width=0.25)
    amortised.fit(steps=2, batch_size=3, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("AmortisedVisualizer: step 2, mean target activation ")


def test_fit_trains_about_the_same_images_per_class_whatever_the_class_count():
    from keras_featviz import defaults
    from keras_featviz.amortised import default_steps

    per_class = defaults.AMORTISED_IMAGES_PER_CLASS
    assert default_steps(19, 16) == -(-per_class * 19 // 16)
    assert default_steps(1000, 16) * 16 >= per_class * 1000 > (default_steps(1000, 16) - 1) * 16
