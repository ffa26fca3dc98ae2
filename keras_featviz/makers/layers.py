"""Layers and regularizers of the generator networks.

- `FeatureVector`: the feature vector of Eq. 1, `f = alpha * eps(f0)`, with one
  row of learnable scales `alpha` per target and the paper's additive or
  multiplicative Gaussian noise (`keras.layers.GaussianNoise` refuses the
  paper's sigma = 2, hence a layer of ours).
- `TargetConv2D` and `TargetNormalization`: a convolution and a
  normalisation with their own weights for each target (sample) of the
  batch, so the generators of many targets train in one step without
  influencing each other (scratch mode, batched).
- `FeatureNorm`: the L2 norm of each row of `alpha` (Eq. 4).
- `PerTarget`: an initializer that draws each target's row on its own, so
  a target starts the same in a chunk of any size, on one device or many.
"""

import keras
import numpy as np
from keras import ops

from keras_featviz.makers import patches as patch_math
from keras_featviz.validation import number, one_of, positive_int

NOISE_KINDS = ("additive", "multiplicative", "none")
# Lucid's square root of natural images' RGB covariance (its SVD), scaled so
# its largest column has norm 1: RGB = DECORRELATED_TO_RGB @ (luminance,
# two colour-opponent axes).
_COLOR_CORRELATION_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], "float32")
DECORRELATED_TO_RGB = _COLOR_CORRELATION_SQRT / np.max(np.linalg.norm(_COLOR_CORRELATION_SQRT, axis=0))
PATCH_LAYOUTS = ("auto", "depthwise", "slices")


@keras.saving.register_keras_serializable(package="keras_featviz")
class FeatureNorm(keras.regularizers.Regularizer):
    """Penalty `rate * sum_rows ||row||_2` on a 2-D weight (Eq. 4).

    Each row holds the feature scales of one target, so batched targets are
    regularised independently, exactly as if each ran alone.

    Args:
        rate: Float, the factor of the norm. Defaults to `0.1` (the paper's).
    """

    def __init__(self, rate=0.1):
        self.rate = number(rate, "rate", minimum=0)

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

    The layer holds `alpha` as a `(num_targets, features)` weight: row `i` is the
    feature scale of the `i`-th target of the batch, so many targets are
    optimised together in one batch without influencing each other.

    Args:
        num_targets: Int, the number of targets in a batch. Defaults to `1`.
        noise: `"additive"` (`f0 + N(0, stddev)`, scratch mode),
            `"multiplicative"` (`f0 * N(1, stddev)`, pretrained mode) or
            `"none"`. Noise is applied in training only. Defaults to
            `"additive"`.
        stddev: Float, standard deviation of the noise. Defaults to `2.0`.
        initial: Float, initial value of `alpha`. Defaults to `1.0`.
        spread: Float >= 0, the standard deviation of each target's
            initial `alpha` around `initial`, drawn per target (`PerTarget`)
            from `seed`. Defaults to `0.0`.
        norm_penalty: Float, rate of the `FeatureNorm` penalty on `alpha`;
            `0` for none. Defaults to `0.0`.
        seed: Int or `None`, seed of the noise and of the spread.
            Defaults to `None`.

    Example:

    >>> layer = FeatureVector(num_targets=2, noise="none", initial=0.5)
    >>> layer(keras.ops.ones((2, 4))).shape
    (2, 4)

    Raises:
        ValueError: if `noise` is unknown, or `num_targets` or `stddev` is out of
            range.
    """

    def __init__(
        self,
        num_targets=1,
        noise="additive",
        stddev=2.0,
        initial=1.0,
        norm_penalty=0.0,
        seed=None,
        spread=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_targets = positive_int(num_targets, "num_targets")
        self.noise = one_of(noise, "noise", NOISE_KINDS)
        self.stddev = number(stddev, "stddev", minimum=0)
        self.initial = float(initial)
        self.spread = number(spread, "spread", minimum=0)
        self.norm_penalty = float(norm_penalty)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.alpha = self.add_weight(
            name="alpha",
            shape=(self.num_targets, input_shape[-1]),
            initializer=(
                per_target(keras.initializers.RandomNormal(self.initial, self.spread), self.seed)
                if self.spread
                else keras.initializers.Constant(self.initial)
            ),
            regularizer=(FeatureNorm(self.norm_penalty) if self.norm_penalty else None),
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
            num_targets=self.num_targets,
            noise=self.noise,
            stddev=self.stddev,
            initial=self.initial,
            norm_penalty=self.norm_penalty,
            seed=self.seed,
            spread=self.spread,
        )
        return config


# Row r of a per-target weight is drawn with seed `seed + r * ROW_SEED_STRIDE`:
# the layers of one generator take seeds a few apart, so rows never share one.
ROW_SEED_STRIDE = 7919


@keras.saving.register_keras_serializable(package="keras_featviz")
class PerTarget(keras.initializers.Initializer):
    """Draws each row of a `(num_targets, ...)` weight on its own.

    One draw of the whole shape would make a target's start depend on how
    many targets share its chunk (JAX's random numbers are not a prefix of
    a longer draw's), so a class image would change with the chunk size,
    the padding to a multiple of the devices, or an atlas resumed in
    smaller chunks. Row `r` is `initializer` of one row's shape with seed
    `seed + r * ROW_SEED_STRIDE` (a fresh random seed per row if `seed` is
    `None`).

    Args:
        initializer: A Keras initializer's config dict (its `seed` is
            replaced).
        seed: Int or `None`.
    """

    def __init__(self, initializer, seed=None):
        self.initializer = keras.initializers.serialize(keras.initializers.get(initializer))
        self.seed = seed

    def __call__(self, shape, dtype=None):
        rows = []
        for row in range(shape[0]):
            config = dict(self.initializer, config=dict(self.initializer["config"]))
            config["config"]["seed"] = None if self.seed is None else self.seed + row * ROW_SEED_STRIDE
            rows.append(keras.initializers.deserialize(config)(tuple(shape[1:]), dtype=dtype))
        return ops.stack(rows)

    def get_config(self):
        return {"initializer": self.initializer, "seed": self.seed}


def per_target(initializer, seed):
    """`PerTarget` of a Keras initializer instance."""
    return PerTarget(keras.initializers.serialize(initializer), seed)


def _target_initializer(fan_in, fan_out, seed):
    """Glorot uniform for one target's kernel, whatever the number of targets.

    Keras' own Glorot would count the targets axis into the fans and start
    a batch of generators smaller than a single one.
    """
    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    return per_target(keras.initializers.RandomUniform(-limit, limit), seed)


@keras.saving.register_keras_serializable(package="keras_featviz")
class TargetConv2D(keras.layers.Layer):
    """A 2-D convolution with its own kernel and bias for each target.

    Sample `i` of the batch is convolved with kernel `i` only, so `num_targets`
    generators train side by side in one compiled step without sharing a
    weight. Grouped convolutions would do the same, but run ten times slower
    than this on CPUs (XLA and TensorFlow alike): here each position's
    neighbourhood is laid out as a patch, and the patches meet the kernels
    in one batched matrix product. A single target (`num_targets=1`) uses the
    backend's own convolution.

    With `upsample=2` the input is first enlarged 2x by nearest neighbour
    (the generator's `UpSampling2D`). On outputs of 16x16 or more with
    valid padding the two are fused: each of the four output phases
    (even/odd row, even/odd column) is a smaller convolution of the
    un-enlarged input, whose kernel sums the taps that fall on the same
    input pixel. The result is the same, with a quarter of the patch
    positions and `(k//2 + 1)**2` taps in place of `k * k`; the generator's
    step at 32x32 ran 1.4x faster for it on TensorFlow's CPU kernels.

    Args:
        num_targets: Int, the number of targets, i.e. the batch size. Defaults to
            `1`.
        filters: Int, output channels.
        kernel_size: Int, the side of the square kernel.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.
        activation: Activation name or callable. Defaults to `None`.
        seed: Int or `None`, seed of the initial kernels. Defaults to
            `None`.
        patches: How the patches are laid out: `"depthwise"` (one
            depthwise convolution with one-hot kernels, a native op
            forward and backward: 1.4x faster than slices on TensorFlow's
            own CPU kernels), `"slices"` (k * k shifted slices; XLA runs
            these 2.5x faster than its depthwise convolution), or `"auto"`:
            depthwise on TensorFlow, slices on other backends. Pass
            `"slices"` when a TensorFlow step is compiled with XLA.
            Defaults to `"auto"`.
        upsample: 1, or 2 to enlarge the input 2x (nearest neighbour)
            before the convolution. Defaults to `1`.

    Example:

    >>> layer = TargetConv2D(num_targets=2, filters=4, kernel_size=3, padding="same")
    >>> layer(keras.ops.ones((2, 8, 8, 3))).shape
    (2, 8, 8, 4)
    >>> TargetConv2D(num_targets=2, filters=4, kernel_size=3, upsample=2)(
    ...     keras.ops.ones((2, 10, 10, 3))).shape
    (2, 18, 18, 4)

    Raises:
        ValueError: for a bad `padding`, `patches` or `upsample`.
    """

    def __init__(
        self,
        num_targets=1,
        filters=1,
        kernel_size=3,
        padding="valid",
        activation=None,
        seed=None,
        patches="auto",
        upsample=1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if padding not in ("valid", "same"):
            one_of(padding, "padding", ("valid", "same"))
        one_of(patches, "patches", PATCH_LAYOUTS)
        if upsample not in (1, 2) or isinstance(upsample, bool):
            raise ValueError(f"`upsample` must be 1 or 2. Received: upsample={upsample!r}")
        if patches == "auto":
            patches = "depthwise" if keras.backend.backend() == "tensorflow" else "slices"
        self.patches = patches
        self.upsample = upsample
        self.num_targets = int(num_targets)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.padding = padding
        self.activation = keras.activations.get(activation)
        self.seed = seed

    def build(self, input_shape):
        self.input_size = tuple(input_shape[1:3])
        k, channels = self.kernel_size, input_shape[-1]
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.num_targets, k, k, channels, self.filters),
            initializer=_target_initializer(k * k * channels, k * k * self.filters, self.seed),
        )
        self.bias = self.add_weight(name="bias", shape=(self.num_targets, self.filters), initializer="zeros")

    def call(self, inputs):
        if self.fused:
            outputs = self._fused_upsampled(inputs)
        else:
            if self.upsample > 1:
                inputs = ops.repeat(ops.repeat(inputs, self.upsample, axis=1), self.upsample, axis=2)
            if self.num_targets == 1:
                outputs = ops.conv(inputs, self.kernel[0], padding=self.padding) + self.bias[0]
            else:
                outputs = self._matmul_conv(self._pad(inputs), self.kernel) + self.bias[:, None, None, :]
        return self.activation(outputs)

    def _pad(self, inputs):
        if self.padding == "valid":
            return inputs
        before = (self.kernel_size - 1) // 2
        after = self.kernel_size - 1 - before
        return ops.pad(inputs, ((0, 0), (before, after), (before, after), (0, 0)))

    @property
    def fused(self):
        """Whether the 2x upsampling is folded into the kernel (see above)."""
        return self.num_targets > 1 and self._fuses_when_batched()

    def _fuses_when_batched(self):
        return self.built and patch_math.fuses_upsampling(
            self.input_size, self.kernel_size, self.padding, self.upsample
        )

    def _matmul_conv(self, inputs, kernel):
        """Valid convolution of sample `i` with `kernel[i]`, `(num_targets, k, k, c, f)`."""
        k, filters = kernel.shape[1], kernel.shape[-1]
        height, width = inputs.shape[1] - k + 1, inputs.shape[2] - k + 1
        patches = ops.reshape(self._patches(inputs, k, height, width), (self.num_targets, height * width, -1))
        outputs = ops.matmul(patches, self._patch_kernel(kernel))
        return ops.reshape(outputs, (self.num_targets, height, width, filters))

    def _patches(self, inputs, k, height, width):
        """Each position's k x k neighbourhood, `(num_targets, h, w, k * k * c)`."""
        if self.patches == "depthwise":
            # Layout: channel-major, `c * k * k + offset`.
            one_hot = patch_math.one_hot_patch_kernel(k, inputs.shape[-1])
            return ops.depthwise_conv(inputs, ops.cast(one_hot, inputs.dtype), padding="valid")
        views = [inputs[:, i : i + height, j : j + width, :] for i in range(k) for j in range(k)]
        return ops.concatenate(views, axis=-1)  # offset-major: `offset * c + c`

    def _patch_kernel(self, kernel):
        """`kernel` as `(num_targets, k * k * c, filters)`, in the patches' layout."""
        if self.patches == "depthwise":
            kernel = ops.transpose(kernel, (0, 3, 1, 2, 4))
        return ops.reshape(kernel, (self.num_targets, -1, kernel.shape[-1]))

    def _fused_upsampled(self, inputs):
        # Output pixel 2a + p (phase p) sees enlarged pixels 2a + p + t, that
        # is input pixels a + (p + t) // 2: a window of k // 2 + 1 input
        # pixels whose kernel sums the taps t landing on the same one.
        k, m, filters = self.kernel_size, patch_math.phase_window(self.kernel_size), self.filters
        out_h, out_w = self._output_size(inputs.shape[1:3])
        half_h, half_w = (out_h + 1) // 2, (out_w + 1) // 2
        # The last window may reach one pixel past the input, for a phase
        # whose taps there are all zero or whose output is cropped away.
        pad_h = max(0, half_h + m - 1 - inputs.shape[1])
        pad_w = max(0, half_w + m - 1 - inputs.shape[2])
        inputs = ops.pad(inputs, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)))
        taps = ops.reshape(self.kernel, (self.num_targets, k * k, -1))
        phases = ops.matmul(
            ops.cast(patch_math.phase_taps(k), taps.dtype), taps
        )  # (num_targets, m*m*2*2, c*f)
        phases = ops.reshape(phases, (self.num_targets, m, m, 2, 2, -1, filters))
        phases = ops.reshape(
            ops.transpose(phases, (0, 1, 2, 5, 3, 4, 6)), (self.num_targets, m, m, -1, 4 * filters)
        )
        outputs = self._matmul_conv(inputs, phases) + ops.tile(self.bias, (1, 4))[:, None, None, :]
        outputs = ops.reshape(outputs, (self.num_targets, half_h, half_w, 2, 2, filters))
        outputs = ops.reshape(
            ops.transpose(outputs, (0, 1, 3, 2, 4, 5)), (self.num_targets, 2 * half_h, 2 * half_w, filters)
        )
        return outputs[:, :out_h, :out_w, :]

    def _output_size(self, input_size):
        return patch_math.output_size(input_size, self.kernel_size, self.padding, self.upsample)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._output_size(input_shape[1:3]), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_targets=self.num_targets,
            filters=self.filters,
            kernel_size=self.kernel_size,
            padding=self.padding,
            activation=keras.activations.serialize(self.activation),
            seed=self.seed,
            patches=self.patches,
            upsample=self.upsample,
        )
        return config


@keras.saving.register_keras_serializable(package="keras_featviz")
class TargetNormalization(keras.layers.Layer):
    """Per-channel normalisation of each target's image by its own statistics.

    The paper's generator normalises with batch statistics; with one target
    per generator the batch is that target's image. Here each sample of the
    batch is normalised over its own spatial positions, with its own scale
    (`gamma`) and offset (`beta`), so `num_targets` generators batched together
    behave exactly as `num_targets` generators run one by one. The statistics are
    those of the image in training and inference alike (a moving average
    would show another image than the one optimised).

    Args:
        num_targets: Int, the number of targets, i.e. the batch size. Defaults to
            `1`.
        epsilon: Float, added to the variance. Defaults to `1e-3`.
        gamma_regularizer: Regularizer of the scale, or `None`. Defaults to
            `None`.
    """

    def __init__(self, num_targets=1, epsilon=1e-3, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.num_targets = int(num_targets)
        self.epsilon = float(epsilon)
        self.gamma_regularizer = keras.regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        shape = (self.num_targets, input_shape[-1])
        self.gamma = self.add_weight(
            name="gamma", shape=shape, initializer="ones", regularizer=self.gamma_regularizer
        )
        self.beta = self.add_weight(name="beta", shape=shape, initializer="zeros")

    def call(self, inputs):
        # Statistics in float32 whatever the compute dtype, as Keras'
        # BatchNormalization keeps them under mixed precision.
        x = ops.cast(inputs, "float32")
        axes = tuple(range(1, len(x.shape) - 1))
        mean, variance = ops.moments(x, axes=axes, keepdims=True)
        expand = (self.num_targets,) + (1,) * len(axes) + (-1,)
        gamma = ops.reshape(ops.cast(self.gamma, "float32"), expand)
        beta = ops.reshape(ops.cast(self.beta, "float32"), expand)
        return ops.cast((x - mean) * (ops.rsqrt(variance + self.epsilon) * gamma) + beta, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            num_targets=self.num_targets,
            epsilon=self.epsilon,
            gamma_regularizer=keras.regularizers.serialize(self.gamma_regularizer),
        )
        return config


@keras.saving.register_keras_serializable(package="keras_featviz")
class DecorrelatedColors(keras.layers.Layer):
    """Read 3 channels as natural images' colour axes and map them to RGB.

    The first axis is luminance, the other two colour-opponent, scaled as
    in natural images (Lucid's decorrelated colour space): a network whose
    three outputs vary independently then makes the muted, mostly grey
    colours of photos rather than saturated primaries.
    """

    def call(self, inputs):
        matrix = ops.convert_to_tensor(DECORRELATED_TO_RGB.T, dtype=inputs.dtype)
        return ops.matmul(inputs, matrix)

    def compute_output_shape(self, input_shape):
        return input_shape
