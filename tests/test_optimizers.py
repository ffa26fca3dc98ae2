"""Which optimizer trains what (`keras_featviz.optimization.optimizers`)."""

import keras
import pytest

from keras_featviz.optimization import optimizers

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def _rate(optimizer):
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def test_defaults_per_what_trains():
    generator = optimizers.make_optimizer(None, "generator")
    latent = optimizers.make_optimizer(None, "latent")
    image = optimizers.make_optimizer(None, "image")
    assert isinstance(generator, keras.optimizers.Adamax) and _rate(generator) == pytest.approx(0.01)
    assert isinstance(latent, keras.optimizers.Adam) and _rate(latent) == pytest.approx(0.1)
    assert isinstance(image, keras.optimizers.Adam) and _rate(image) == pytest.approx(0.05)


def test_paper_is_table_1():
    scratch = optimizers.make_optimizer("paper", "generator")
    pretrained = optimizers.make_optimizer("paper", "latent")
    assert isinstance(scratch, keras.optimizers.Adamax) and _rate(scratch) == pytest.approx(0.002)
    assert isinstance(pretrained, keras.optimizers.SGD) and _rate(pretrained) == pytest.approx(0.01)
    assert pretrained.nesterov


def test_a_users_optimizer_is_copied_never_shared():
    mine = keras.optimizers.RMSprop(learning_rate=0.003)
    made = optimizers.make_optimizer(mine, "generator")
    assert made is not mine and isinstance(made, keras.optimizers.RMSprop)
    assert _rate(made) == pytest.approx(0.003)
    assert mine.iterations is not made.iterations


def test_a_rate_that_cannot_train_is_refused():
    with pytest.raises(
        ValueError, match=r"`learning_rate` must be a finite number > 0. Received: learning_rate=0.0"
    ):
        optimizers.check_optimizer(keras.optimizers.Adam(learning_rate=0.0))
    with pytest.raises(
        ValueError,
        match=r"`optimizer` must be a keras optimizer, 'paper' or None. Received: optimizer='adam'",
    ):
        optimizers.check_optimizer("adam")
