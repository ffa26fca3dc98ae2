"""Layers and regularizers of the generator networks.

- `FeatureVector`: the feature vector of Eq. 1, `f = alpha * eps(f0)`, with one
  row of learnable scales `alpha` per target and the paper's additive or
  multiplicative Gaussian noise (`keras.layers.GaussianNoise` refuses the
  paper's sigma = 2, hence a layer of ours).
- `BatchStatNormalization`: batch normalisation that always normalises with
  the statistics of the batch it is given, so the image shown after the
  optimisation is made exactly as the images that were optimised.
- `FeatureNorm`: the L2 norm of each row of `alpha` (Eq. 4).
"""

import keras
from keras import ops

NOISE_KINDS = ("additive", "multiplicative", "none")


def _check_stddev(stddev):
    if not stddev >= 0:
        raise ValueError(
            f"`stddev` must be a number >= 0. Received: stddev={stddev}"
        )


@keras.saving.register_keras_serializable(package="keras_featviz")
class FeatureNorm(keras.regularizers.Regularizer):
    """Penalty `rate * sum_rows ||row||_2` on a 2-D weight (Eq. 4).

    Each row holds the feature scales of one target, so batched targets are
    regularised independently, exactly as if each ran alone.

    Args:
        rate: Float, the factor of the norm. Defaults to `0.1` (the paper's).
    """

    def __init__(self, rate=0.1):
        _check_stddev(rate)
        self.rate = float(rate)

    def __call__(self, x):
        # The epsilon keeps the gradient finite at alpha = 0, the paper's
        # starting point in pretrained mode.
        norms = ops.sqrt(ops.sum(ops.square(x), axis=-1) + 1e-12)
        return self.rate * ops.sum(norms)

    def get_config(self):
        return {"rate": self.rate}


@keras.saving.register_keras_serializable(package="keras_featviz")
class FeatureVector(keras.layers.Layer):
    """Feature vector `f = alpha * eps(f0)` of Eq. 1.

    The layer holds `alpha` as a `(rows, features)` weight: row `i` is the
    feature scale of the `i`-th target of the batch, so many targets are
    optimised together in one batch without influencing each other.

    Args:
        rows: Int, the number of targets in a batch. Defaults to `1`.
        noise: `"additive"` (`f0 + N(0, stddev)`, scratch mode),
            `"multiplicative"` (`f0 * N(1, stddev)`, pretrained mode) or
            `"none"`. Noise is applied in training only. Defaults to
            `"additive"`.
        stddev: Float, standard deviation of the noise. Defaults to `2.0`.
        initial: Float, initial value of `alpha`. Defaults to `1.0`.
        norm_penalty: Float, rate of the `FeatureNorm` penalty on `alpha`;
            `0` for none. Defaults to `0.0`.
        seed: Int or `None`, seed of the noise. Defaults to `None`.

    Example:

    >>> layer = FeatureVector(rows=2, noise="none", initial=0.5)
    >>> layer(keras.ops.ones((2, 4))).shape
    (2, 4)

    Raises:
        ValueError: if `noise` is unknown, or `rows` or `stddev` is out of
            range.
    """

    def __init__(
        self,
        rows=1,
        noise="additive",
        stddev=2.0,
        initial=1.0,
        norm_penalty=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if noise not in NOISE_KINDS:
            raise ValueError(
                f"`noise` must be one of {NOISE_KINDS}. Received: noise={noise}"
            )
        if int(rows) < 1:
            raise ValueError(f"`rows` must be >= 1. Received: rows={rows}")
        _check_stddev(stddev)
        self.rows = int(rows)
        self.noise = noise
        self.stddev = float(stddev)
        self.initial = float(initial)
        self.norm_penalty = float(norm_penalty)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.alpha = self.add_weight(
            name="alpha",
            shape=(self.rows, input_shape[-1]),
            initializer=keras.initializers.Constant(self.initial),
            regularizer=(
                FeatureNorm(self.norm_penalty) if self.norm_penalty else None
            ),
        )

    def call(self, inputs, training=None):
        if training and self.noise != "none" and self.stddev > 0:
            eps = keras.random.normal(
                ops.shape(inputs),
                stddev=self.stddev,
                seed=self.seed_generator,
                dtype=self.compute_dtype,
            )
            if self.noise == "additive":
                inputs = inputs + eps
            else:
                inputs = inputs * (1.0 + eps)
        return inputs * ops.cast(self.alpha, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            rows=self.rows,
            noise=self.noise,
            stddev=self.stddev,
            initial=self.initial,
            norm_penalty=self.norm_penalty,
            seed=self.seed,
        )
        return config


@keras.saving.register_keras_serializable(package="keras_featviz")
class BatchStatNormalization(keras.layers.Layer):
    """Per-channel normalisation by the statistics of the current batch.

    A `BatchNormalization` layer trained on batch statistics but shown with
    its moving averages displays another image than the one it optimised.
    This layer uses the batch statistics in training and inference alike, so
    what is shown is what the classifier scored. Its scale (`gamma`) and
    offset (`beta`) are trainable, as in the paper's generator.

    Args:
        epsilon: Float, added to the variance. Defaults to `1e-3`.
        gamma_regularizer: Regularizer of the scale, or `None`. Defaults to
            `None`.
    """

    def __init__(self, epsilon=1e-3, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.gamma_regularizer = keras.regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(
            name="gamma",
            shape=(channels,),
            initializer="ones",
            regularizer=self.gamma_regularizer,
        )
        self.beta = self.add_weight(
            name="beta", shape=(channels,), initializer="zeros"
        )

    def call(self, inputs):
        axes = tuple(range(len(inputs.shape) - 1))
        mean, variance = ops.moments(inputs, axes=axes, keepdims=True)
        scale = ops.rsqrt(variance + self.epsilon) * self.gamma
        return (inputs - mean) * scale + self.beta

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            epsilon=self.epsilon,
            gamma_regularizer=keras.regularizers.serialize(
                self.gamma_regularizer
            ),
        )
        return config
