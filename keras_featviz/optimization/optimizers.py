"""The optimisers of the generators: the defaults, Table 1's, or the user's.

`make_optimizer` returns a fresh optimizer for each compiled coupled model,
so no two models share optimizer state.
"""

import keras

from keras_featviz.validation import number

PAPER = "paper"


def default_optimizer(trains):
    """AdaMax 0.01 on a generator; Adam 0.1 on the latent vector; Adam 0.05 on an image.

    Args:
        trains: What trains: `"generator"`, `"latent"` or `"image"` (see
            `GeneratorSource.trains`).

    Measured on the 18-class shapes demo (150 steps): Table 1's AdaMax 0.002
    is too slow for a few hundred steps (44% of the classes first, 100% at
    0.01 with `noise=0`), and Table 1's SGD 0.01 moves `alpha` by steps tied
    to the decoder's gradient scale (6% first, where Adam's per-coordinate
    steps reach 94-100%). `optimizer="paper"` restores Table 1. A Fourier
    parameterised image (pixels or spectrum) takes Lucid's Adam 0.05.
    """
    if trains == "latent":
        return keras.optimizers.Adam(learning_rate=0.1)
    if trains == "image":
        return keras.optimizers.Adam(learning_rate=0.05)
    return keras.optimizers.Adamax(learning_rate=0.01)


def paper_optimizer(trains):
    """Table 1's optimizer: SGD (pretrained) or AdaMax (a generator, or anything else)."""
    if trains == "latent":
        return keras.optimizers.SGD(learning_rate=0.01, momentum=0.1, nesterov=True)
    return keras.optimizers.Adamax(learning_rate=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8)


def check_optimizer(optimizer):
    """`optimizer` if it is `None`, `"paper"` or a Keras optimizer.

    A Keras optimizer's learning rate, when it is a number rather than a
    schedule, must be finite and > 0: a zero, negative or NaN rate would
    otherwise show only as grey images after the whole run.

    Raises:
        ValueError: otherwise.
    """
    if isinstance(optimizer, keras.optimizers.Optimizer):
        rate = optimizer.get_config().get("learning_rate")
        if isinstance(rate, (int, float)):
            number(rate, "learning_rate", minimum=0, inclusive=False)
        return optimizer
    if optimizer is None or optimizer == PAPER:
        return optimizer
    raise ValueError(
        f"`optimizer` must be a keras optimizer, {PAPER!r} or None. Received: optimizer={optimizer!r}"
    )


def make_optimizer(optimizer, trains, precision=None):
    """A fresh optimizer for one compiled coupled model.

    Args:
        optimizer: `None` (see `default_optimizer`), `"paper"` (see
            `paper_optimizer`) or a Keras optimizer, copied from its config.
        trains: What trains: `"generator"`, `"latent"` or `"image"`.
        precision: The dtype policy name of the run, or `None`. Defaults to
            `None`.

    Returns:
        A `keras.optimizers.Optimizer`.
    """
    if optimizer is None:
        optimizer = default_optimizer(trains)
    elif optimizer == PAPER:
        optimizer = paper_optimizer(trains)
    else:
        optimizer = optimizer.__class__.from_config(optimizer.get_config())
    if precision == "mixed_float16":
        # float16 gradients underflow without it; bfloat16's range is float32's.
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer
