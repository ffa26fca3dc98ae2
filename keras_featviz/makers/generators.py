"""Generator networks: how the image is made from a feature vector.

- `scratch_generator`: the paper's generator trained from scratch
  (section 4.1, Table 2), feature vector included; one network holds the
  independent generators of many targets.
- `decoder_network`: the generator half of the denoising autoencoder
  (section 4.2), a plain vector-to-image network.
- `latent_generator`: a frozen decoder behind a trainable feature vector,
  one row per target (pretrained mode).

Both architectures follow the authors' published code: a 128-channel grid,
then blocks of (upsample 2x, valid conv + ReLU, normalisation, same conv +
ReLU, normalisation). The paper's network targets 224x224; `plan_generator`
keeps its last blocks and grid size so that any image size is reached, and
at 224x224 reproduces the paper's layer for layer.

Generators output unbounded values `g`; the coupled model shows them as RGB
0-255 pixels `127.5 * (1 + tanh(g))`.
"""

import math

import keras
from keras import ops

from keras_featviz import defaults
from keras_featviz.makers.layers import DecorrelatedColors, FeatureVector, TargetConv2D, TargetNormalization
from keras_featviz.validation import number, one_of, positive_int

COLORS = ("rgb", "decorrelated")
PAPER_BLOCKS = ((512, 2), (256, 3), (256, 3), (128, 3), (128, 4))
GRID_CHANNELS = 128
MAX_GRID = 5
SCRATCH_OUTPUT_L1 = 0.01
LATENT_NORM_PENALTY = 0.1


def to_pixels(image):
    """Map generator output to RGB 0-255 pixels: `127.5 * (1 + tanh(g))`.

    The bound is smooth, so a bright or dark pixel still has a gradient (a
    hard clip leaves saturated regions stuck), and the classifier scores
    exactly the image that is shown.
    """
    return 127.5 * (1.0 + ops.tanh(ops.cast(image, "float32")))


def plan_generator(height, width):
    """Blocks and starting grid that reach an image of `height x width`.

    Walks back from the output through the last upsample and valid 3x3
    convolution, then through the paper's blocks (deepest first), until the
    grid is at most 5 cells on its shorter side, as in the paper.

    Args:
        height: Int, image height.
        width: Int, image width.

    Returns:
        A tuple `(blocks, grid)`: `blocks` a tuple of `(filters, kernel)`,
        `grid` the `(height, width)` of the 128-channel starting grid.
    """
    shorter = math.ceil((min(height, width) + 2) / 2)
    count = 0
    while shorter > MAX_GRID and count < len(PAPER_BLOCKS):
        kernel = PAPER_BLOCKS[-1 - count][1]
        shorter = math.ceil((shorter + kernel - 1) / 2)
        count += 1
    blocks = PAPER_BLOCKS[len(PAPER_BLOCKS) - count :]

    def grid_size(size):
        size = math.ceil((size + 2) / 2)
        for _, kernel in reversed(blocks):
            size = math.ceil((size + kernel - 1) / 2)
        return max(size, 1)

    return blocks, (grid_size(height), grid_size(width))


def feature_size(image_shape):
    """Length of the feature vector for an image shape `(h, w, c)`."""
    _, (grid_height, grid_width) = plan_generator(image_shape[0], image_shape[1])
    return grid_height * grid_width * GRID_CHANNELS


def _seed(seed, offset):
    return None if seed is None else seed + offset


class _Builder:
    """Stacks generator layers on a tensor with distinct seeds.

    With `num_targets` set, every convolution and normalisation holds one set of
    weights per target (`TargetConv2D`, `TargetNormalization`): `num_targets`
    independent generators in one network. Without, the layers are Keras'
    own, shared by the batch (the autoencoder's decoder).
    """

    def __init__(self, seed, num_targets=None, patches="auto"):
        self.seed = seed
        self.num_targets = num_targets
        self.patches = patches
        self.count = 0

    def conv(self, x, filters, kernel, padding, activation="relu", upsample=1):
        self.count += 1
        seed = _seed(self.seed, self.count)
        if self.num_targets is not None:
            # The upsampling goes inside: fused with the convolution, it
            # lays out a quarter of the patches (see `TargetConv2D`).
            layer = TargetConv2D(
                self.num_targets,
                filters,
                kernel,
                padding=padding,
                activation=activation,
                seed=seed,
                patches=self.patches,
                upsample=upsample,
                dtype="float32",
            )
        else:
            if upsample > 1:
                x = keras.layers.UpSampling2D(upsample, dtype="float32")(x)
            layer = keras.layers.Conv2D(
                filters,
                kernel,
                padding=padding,
                activation=activation,
                kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
                dtype="float32",
            )
        return layer(x)

    def norm(self, x, **kwargs):
        if self.num_targets is not None:
            return TargetNormalization(self.num_targets, dtype="float32", **kwargs)(x)
        return keras.layers.BatchNormalization(dtype="float32", **kwargs)(x)

    def block(self, x, filters, kernel):
        x = self.norm(self.conv(x, filters, kernel, "valid", upsample=2))
        return self.norm(self.conv(x, filters, kernel, "same"))


def _crop_to(x, height, width):
    extra_h = x.shape[1] - height
    extra_w = x.shape[2] - width
    if extra_h == 0 and extra_w == 0:
        return x
    return keras.layers.Cropping2D(
        ((extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2)),
        dtype="float32",
    )(x)


def _check_image_shape(image_shape):
    shape = tuple(image_shape) if image_shape is not None else ()
    if len(shape) != 3 or not all(isinstance(d, int) and d > 0 for d in shape):
        raise ValueError(
            "`image_shape` must be (height, width, channels) with positive "
            f"integers. Received: image_shape={image_shape}"
        )
    return shape


def _check_width(width):
    number(width, "width", minimum=0, inclusive=False, maximum=defaults.MAX_WIDTH)


def _made_shape(image_shape, downsample):
    """The image a generator makes before it is enlarged `downsample` times."""
    height, width, channels = image_shape
    return (max(1, -(-height // downsample)), max(1, -(-width // downsample)), channels)


def _enlarge(x, made, image_shape):
    """`x`, made at `made`, enlarged bilinearly to `image_shape`."""
    if made == image_shape:
        return x
    return keras.layers.Resizing(
        image_shape[0], image_shape[1], interpolation="bilinear", name="enlarge", dtype="float32"
    )(x)


def _body(x, image_shape, builder, width):
    """The blocks of `plan_generator`; returns the last block's output and every block's."""
    height, wide, _ = image_shape
    blocks, grid = plan_generator(height, wide)
    x = keras.layers.Reshape((*grid, GRID_CHANNELS), dtype="float32")(x)
    outputs = []
    for filters, kernel in blocks:
        x = builder.block(x, max(1, round(filters * width)), kernel)
        outputs.append(x)
    return x, outputs


def _pyramid(x, block_outputs, made, builder):
    """`x` plus every block's output, each through its own linear 1x1
    convolution to the image channels and enlarged bilinearly to `made`."""
    parts = [x]
    for index, block_output in enumerate(block_outputs):
        part = builder.conv(block_output, made[2], 1, "same", activation=None)
        parts.append(
            keras.layers.Resizing(
                made[0], made[1], interpolation="bilinear", name=f"pyramid_level_{index}", dtype="float32"
            )(part)
        )
    x = keras.layers.Add(name="pyramid", dtype="float32")(parts)
    return builder.norm(x, name="pyramid_normalization")


def scratch_generator(
    image_shape,
    width=defaults.PAPER_WIDTH,
    num_targets=1,
    seed=None,
    name="generator",
    noise_stddev=defaults.SCRATCH_NOISE,
    patches="auto",
    downsample=1,
    colors="rgb",
    pyramid=False,
):
    """The generator of section 4.1, trained from scratch.

    Input: the constants `f0 = 1` of Eq. 1, shape `(num_targets, features)`. The
    feature vector adds Gaussian noise (Table 1's sigma is 2; none by
    default, see `defaults.SCRATCH_NOISE`) and scales by `alpha`
    (initially 1); the output normalisation's scale carries the L1 0.01
    penalty of Eq. 3. At `image_shape=(224, 224, 3)` and `width=1` this
    is the paper's network: 5,240,841 trainable variables.

    Args:
        image_shape: Tuple `(height, width, channels)` of the classifier input.
        width: Float, multiplier of the convolution filters (`1.0` is the
            paper's); smaller is faster on small classifiers. Defaults to
            `1.0`.
        num_targets: Int, targets trained side by side: `num_targets` independent
            generators in one network, each with its own weights (row `i`
            of every weight), as if each ran alone. Defaults to `1`.
        seed: Int or `None`, seed of the weights and noise. Defaults to
            `None`.
        name: String, the model name. Defaults to `"generator"`.
        noise_stddev: Float >= 0, sigma of the additive noise on `f0`
            (Table 1: 2). `0` trains on the noise-free feature vector that
            makes the image shown. Defaults to `0.0`.
        patches: How the batched convolutions lay out their patches; see
            `TargetConv2D`. Defaults to `"auto"`.
        downsample: Int >= 1: the network makes an image this many times
            smaller a side, enlarged bilinearly to `image_shape`. Its cost
            falls with the square of it, and the image holds no detail
            finer than `downsample` pixels. Defaults to `1`.
        colors: `"rgb"` (the paper's), or `"decorrelated"`: for 3
            channels, the output is read as natural images' colour axes
            (see `DecorrelatedColors`). Defaults to `"rgb"`.

    Returns:
        A `keras.Model` from `(num_targets, features)` to `(num_targets, h, w, c)` images in
        unbounded units (pixels `127.5 * (1 + tanh(g))`).

    Example:

    >>> generator = scratch_generator((224, 224, 3))
    >>> generator.count_params()
    5240841

    Raises:
        ValueError: if `image_shape` or `width` is invalid.
    """
    image_shape = _check_image_shape(image_shape)
    _check_width(width)
    downsample = positive_int(downsample, "downsample")
    made = _made_shape(image_shape, downsample)
    builder = _Builder(seed, num_targets=int(num_targets), patches=patches)
    f0 = keras.Input((feature_size(made),), name="f0")
    x = FeatureVector(
        num_targets=num_targets,
        noise="additive",
        stddev=noise_stddev,
        initial=0.0,
        spread=defaults.SCRATCH_SPREAD,
        seed=seed,
        name="feature_vector",
        dtype="float32",
    )(f0)
    x, block_outputs = _body(x, made, builder, width)
    x = builder.conv(x, image_shape[2], 3, "valid", upsample=2)
    x = _crop_to(x, made[0], made[1])
    x = builder.norm(
        x,
        gamma_regularizer=keras.regularizers.L1(SCRATCH_OUTPUT_L1),
        name="output_normalization",
    )
    if pyramid:
        x = _pyramid(x, block_outputs, made, builder)
    if one_of(colors, "colors", COLORS) == "decorrelated" and image_shape[2] == 3:
        x = DecorrelatedColors(name="decorrelated_colors", dtype="float32")(x)
    return keras.Model(f0, _enlarge(x, made, image_shape), name=name)


def decoder_network(image_shape, width=1.0, seed=None, name="decoder", downsample=1):
    """The generator half of the denoising autoencoder (section 4.2).

    The scratch architecture, ending instead with a 64-filter block (valid
    3x3, same 3x3) and a linear same-padded 3x3 convolution to the image
    channels before the output batch normalisation.

    Args:
        image_shape: Tuple `(height, width, channels)`.
        width: Float, multiplier of the convolution filters. Defaults to
            `1.0`.
        seed: Int or `None`, seed of the weights. Defaults to `None`.
        name: String, the model name. Defaults to `"decoder"`.
        downsample: Int >= 1: the network makes an image this many times
            smaller a side, enlarged bilinearly to `image_shape` (as
            `scratch_generator`'s). Defaults to `1`.

    Returns:
        A `keras.Model` from `(batch, features)` to images (pixels `127.5 * (1 + tanh(g))`).

    Raises:
        ValueError: if `image_shape` or `width` is invalid.
    """
    image_shape = _check_image_shape(image_shape)
    _check_width(width)
    made = _made_shape(image_shape, positive_int(downsample, "downsample"))
    builder = _Builder(seed)
    features = keras.Input((feature_size(made),), name="features")
    x, _ = _body(features, made, builder, width)
    filters = max(1, round(64 * width))
    x = builder.norm(builder.conv(x, filters, 3, "valid", upsample=2))
    x = builder.norm(builder.conv(x, filters, 3, "same"))
    x = builder.conv(x, image_shape[2], 3, "same", activation=None)
    x = _crop_to(x, made[0], made[1])
    x = builder.norm(x, name="output_normalization")
    return keras.Model(features, _enlarge(x, made, image_shape), name=name)


def latent_generator(
    decoder,
    num_targets=1,
    seed=None,
    name="generator",
    noise_stddev=defaults.LATENT_NOISE,
    spread=defaults.LATENT_SPREAD,
):
    """A feature vector of `num_targets` targets in front of `decoder`.

    The pretrained mode of section 4.2: `alpha` has multiplicative noise
    (mu 1, sigma 0.05) and the L2 0.1 penalty of Eq. 4; the decoder is
    frozen, so only `num_targets x features` variables train. The paper's
    `alpha` starts at 0; here it starts as N(0, `spread`) per target, so
    that another seed is another start (`defaults.LATENT_SPREAD`).

    Args:
        decoder: A `keras.Model` from a vector to an image. It is used as
            given (the caller passes a copy it owns).
        num_targets: Int, targets per batch. Defaults to `1`.
        seed: Int or `None`, seed of the noise and of the start. Defaults
            to `None`.
        name: String, the model name. Defaults to `"generator"`.
        noise_stddev: Float >= 0, sigma of the multiplicative noise (Table
            1: 0.05). Defaults to `0.05`.
        spread: Float >= 0, the standard deviation of each target's
            starting `alpha` around 0 (the paper's start: `0.0`). Defaults
            to `1.0`.

    Returns:
        A `keras.Model` from `(num_targets, features)` to images.
    """
    decoder.trainable = False
    f0 = keras.Input(decoder.input_shape[1:], name="f0")
    x = FeatureVector(
        num_targets=num_targets,
        noise="multiplicative",
        stddev=noise_stddev,
        initial=0.0,
        spread=spread,
        norm_penalty=LATENT_NORM_PENALTY,
        seed=seed,
        name="feature_vector",
        dtype="float32",
    )(f0)
    return keras.Model(f0, decoder(x), name=name)
