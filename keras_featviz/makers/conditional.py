"""The amortised generator: one network that makes the image of any class.

The paper's generator is trained for one target at a time (or many side by
side, each with its own weights). `conditional_generator` is one network,
shared by every class of a classifier: its input is a class's one-hot code
and a noise vector, and every block's normalisation takes its scale and
shift from the class (conditional normalisation, as in class-conditional
GANs). Trained once on all the classes (`keras_featviz.AmortisedVisualizer`),
it makes any class's image, and new samples of it from other noise, in one
forward pass.

The network grows the image from a small grid by bilinear 2x upsampling
(no transposed convolutions, so no checkerboard), and every level also
reaches the image through its own 1x1 convolution (the multi-scale
pyramid of the scratch generator); the three outputs are read as natural
images' decorrelated colours.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from keras_featviz.makers.layers import DecorrelatedColors
from keras_featviz.validation import number, positive_int

# Filters of the first block at width 1; each finer level has half as
# many, down to FLOOR_FILTERS.
BASE_FILTERS = 128
FLOOR_FILTERS = 32
# Trainable maps appended at each level (`LearnedMaps`).
MAP_CHANNELS = 8
# Side of the first grid: the image side halved until at most this.
MAX_GRID = 8
EMBEDDING = 64


@keras.saving.register_keras_serializable(package="keras_featviz")
class ClassNormalization(keras.layers.Layer):
    """Normalise each sample's feature map, then scale and shift it by class.

    Inputs: `[x, code]`, `x` of shape `(batch, h, w, c)` and `code` the
    class embedding `(batch, e)`. Each channel of each sample is normalised
    over its positions (no statistics shared across the batch, so an image
    does not depend on the others in it), then multiplied by
    `1 + gamma(code)` and shifted by `beta(code)`, both linear in the code.
    """

    def __init__(self, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = number(epsilon, "epsilon", minimum=0, inclusive=False)

    def build(self, input_shape):
        channels, code = input_shape[0][-1], input_shape[1][-1]
        self.gamma = keras.layers.Dense(channels, kernel_initializer="zeros", name="gamma")
        self.beta = keras.layers.Dense(channels, kernel_initializer="zeros", name="beta")
        self.gamma.build((None, code))
        self.beta.build((None, code))

    def call(self, inputs):
        x, code = inputs
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        variance = ops.var(x, axis=(1, 2), keepdims=True)
        x = (x - mean) / ops.sqrt(variance + self.epsilon)
        gamma = ops.expand_dims(ops.expand_dims(self.gamma(code), 1), 1)
        beta = ops.expand_dims(ops.expand_dims(self.beta(code), 1), 1)
        return x * (1.0 + gamma) + beta

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update(epsilon=self.epsilon)
        return config


@keras.saving.register_keras_serializable(package="keras_featviz")
class LearnedMaps(keras.layers.Layer):
    """Append `channels` trainable maps, shared by every sample, to `x`.

    A level grown from the coarser one by bilinear upsampling holds no
    detail finer than it; these maps, drawn at random and trained, give
    each level its own fine structure for the class normalisation to shape.
    """

    def __init__(self, channels=8, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.channels = positive_int(channels, "channels")
        self.seed = seed

    def build(self, input_shape):
        self.maps = self.add_weight(
            name="maps",
            shape=(1, input_shape[1], input_shape[2], self.channels),
            initializer=keras.initializers.RandomNormal(seed=self.seed),
        )

    def call(self, x):
        maps = ops.broadcast_to(ops.cast(self.maps, x.dtype), (ops.shape(x)[0], *self.maps.shape[1:]))
        return ops.concatenate([x, maps], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.channels)

    def get_config(self):
        config = super().get_config()
        config.update(channels=self.channels, seed=self.seed)
        return config


def levels(height, width):
    """`(grid, upsamplings)`: the first grid's `(h, w)` and how many 2x steps
    reach at least `(height, width)`."""
    steps = max(0, math.ceil(math.log2(max(height, width) / MAX_GRID)))
    return (max(1, -(-height // 2**steps)), max(1, -(-width // 2**steps))), steps


def conditional_generator(image_shape, num_classes, width=1.0, noise_size=32, seed=None, name="conditional"):
    """One generator for every class: `[one-hot class, noise]` to an image.

    Args:
        image_shape: `(height, width, channels)` of the classifier input.
        num_classes: Int, the classes it makes (the one-hot size).
        width: Float > 0, multiplier of the filters. Defaults to `1.0`.
        noise_size: Int >= 0, the noise vector's size (samples of a class
            differ by it). Defaults to `32`.
        seed: Int or `None`, seed of the initial weights. Defaults to
            `None`.
        name: String, the model's name. Defaults to `"conditional"`.

    Returns:
        A `keras.Model` from `(batch, num_classes + noise_size)` to
        `(batch, h, w, c)` images in unbounded units (shown as
        `127.5 * (1 + tanh(g))`, see `generators.to_pixels`).

    Raises:
        ValueError: for a bad size, class count or width.
    """
    height, wide, channels = (positive_int(d, "image_shape") for d in image_shape)
    num_classes = positive_int(num_classes, "num_classes")
    width = number(width, "width", minimum=0, inclusive=False)
    noise_size = int(noise_size)
    seeds = iter(range(0 if seed is None else seed, 10**9))

    def init():
        return keras.initializers.GlorotUniform(seed=None if seed is None else next(seeds))

    f0 = keras.Input((num_classes + noise_size,), name="f0")
    one_hot = f0[:, :num_classes]
    code = keras.layers.Dense(EMBEDDING, use_bias=False, kernel_initializer=init(), name="class_code")(
        one_hot
    )
    if noise_size:
        noise = f0[:, num_classes:]
        code = keras.layers.Concatenate(name="code")([code, noise])
    (grid_h, grid_w), steps = levels(height, wide)
    filters = max(FLOOR_FILTERS, round(BASE_FILTERS * width))
    x = keras.layers.Dense(grid_h * grid_w * filters, kernel_initializer=init(), name="grid")(code)
    x = keras.layers.Reshape((grid_h, grid_w, filters))(x)
    x = ClassNormalization(name="grid_norm")([x, code])
    x = keras.layers.LeakyReLU(0.2)(x)
    parts = []
    for level in range(steps + 1):
        if level:
            x = keras.layers.UpSampling2D(interpolation="bilinear", name=f"up_{level}")(x)
            filters = max(FLOOR_FILTERS, filters // 2)
        x = LearnedMaps(
            MAP_CHANNELS, seed=None if seed is None else seed + 1000 + level, name=f"maps_{level}"
        )(x)
        x = keras.layers.Conv2D(filters, 3, padding="same", kernel_initializer=init(), name=f"conv_{level}")(
            x
        )
        x = ClassNormalization(name=f"norm_{level}")([x, code])
        x = keras.layers.LeakyReLU(0.2)(x)
        part = keras.layers.Conv2D(channels, 1, kernel_initializer=init(), name=f"to_image_{level}")(x)
        parts.append(
            keras.layers.Resizing(height, wide, interpolation="bilinear", name=f"level_{level}")(part)
        )
    x = keras.layers.Add(name="pyramid")(parts) if len(parts) > 1 else parts[0]
    # Each image's colours at unit spread, scaled and shifted by class: the
    # sum of the levels alone grew until the pixels saturated (MobileNetV2
    # dog breeds, 300 steps: bright primaries, 37% ranked first).
    x = ClassNormalization(name="output_norm")([x, code])
    if channels == 3:
        x = DecorrelatedColors(name="decorrelated_colors")(x)
    return keras.Model(f0, x, name=name)
