"""Image parameterisations: images held directly as weights, one per target.

Besides the generator networks (`generators`), an image can be optimised as
its own weights, as Lucid's `param` module does. Three live here:
`"pixels"` (plain gradient ascent on the pixels, the classic baseline),
`"fourier"` (Lucid's decorrelated Fourier image) and `"fourier_phase"`
(MACO's phase-only image).

Pixels are a poor basis to optimise in: every pixel is free, so gradient
ascent fills the image with high-frequency patterns that the classifier
responds to and a person (or another classifier) does not. Lucid's answer
(Olah et al. 2017) is to optimise the image's Fourier coefficients, scaled
by `1 / frequency` so that all frequencies move at the pace natural
images' spectra have, and to decorrelate the colours (optimise in the
principal axes of natural images' RGB). MACO (Fel et al. 2023) goes
further and optimises only the phase, under a fixed natural-image
magnitude spectrum.

`FourierImage` and `PixelImage` hold one image per target (row `i` of
their weights belongs to target `i`, as in the batched scratch generator),
and `image_generator` wraps one as a generator network: the same contract
as the paper's generators, so the coupled model, the transforms and the
loop treat it alike. Its output `g` is shown as `127.5 * (1 + tanh(g))`, which
is `255 * sigmoid(2 g)`: Lucid's sigmoid of the decorrelated image.
"""

import math

import keras
import numpy as np
from keras import ops

from keras_featviz.makers.layers import DECORRELATED_TO_RGB, per_target
from keras_featviz.validation import number, positive_int

DECAY = 1.0
# The fixed magnitude of the phase-only image, in units of `spectrum_scale`:
# random phases under it make an image whose values (before the sigmoid)
# have a standard deviation of about 1, the contrast of a photo. At 0.05
# the images came out nearly uniform grey (benchmarks/real_models.py).
PHASE_MAGNITUDE = 1.0
INITIAL_STDDEV = 0.01


def spectrum_scale(height, width, decay=DECAY):
    """`(height, width)` weights `1 / max(f, 1 / side) ** decay`, times `sqrt(h w)`."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.fftfreq(width)[None, :]
    frequencies = np.sqrt(fx * fx + fy * fy)
    scale = 1.0 / np.maximum(frequencies, 1.0 / max(height, width)) ** decay
    return (scale * math.sqrt(height * width)).astype("float32")


@keras.saving.register_keras_serializable(package="keras_featviz")
class FourierImage(keras.layers.Layer):
    """Images of `num_targets` targets from trainable Fourier coefficients.

    The input (the constant `f0`) only sets the batch; the image is
    `Re(ifft2(scale * spectrum))`, colour-decorrelated for 3 channels.

    Args:
        num_targets: Int, the targets (batch size).
        image_shape: `(height, width, channels)`.
        phase_only: Bool, MACO: train only the phase, under the fixed
            magnitude `scale`. Defaults to `False`.
        decay: Float >= 0, the spectrum's fall-off `1 / f ** decay`.
            Defaults to `1.0`.
        seed: Int or `None`, seed of the initial spectrum. Defaults to
            `None`.

    Raises:
        ValueError: for a bad `num_targets`, `image_shape` or `decay`.
    """

    def __init__(
        self, num_targets=1, image_shape=(224, 224, 3), phase_only=False, decay=DECAY, seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.num_targets = positive_int(num_targets, "num_targets")
        self.image_shape = tuple(int(d) for d in image_shape)
        self.phase_only = bool(phase_only)
        self.decay = number(decay, "decay", minimum=0)
        self.seed = seed

    def build(self, input_shape):
        height, width, channels = self.image_shape
        shape = (self.num_targets, channels, height, width)
        if self.phase_only:
            self.phase = self.add_weight(
                name="phase",
                shape=shape,
                initializer=per_target(keras.initializers.RandomUniform(-math.pi, math.pi), self.seed),
            )
        else:
            initializer = per_target(keras.initializers.RandomNormal(stddev=INITIAL_STDDEV), self.seed)
            self.real = self.add_weight(name="real", shape=shape, initializer=initializer)
            self.imaginary = self.add_weight(
                name="imaginary",
                shape=shape,
                initializer=per_target(
                    keras.initializers.RandomNormal(stddev=INITIAL_STDDEV),
                    None if self.seed is None else self.seed + 1,
                ),
            )

    def call(self, inputs):
        height, width, channels = self.image_shape
        scale = ops.convert_to_tensor(spectrum_scale(height, width, self.decay))
        if self.phase_only:
            magnitude = PHASE_MAGNITUDE * scale
            real, imaginary = magnitude * ops.cos(self.phase), magnitude * ops.sin(self.phase)
        else:
            real, imaginary = scale * self.real, scale * self.imaginary
        image, _ = ops.ifft2((real, imaginary))  # (targets, channels, h, w)
        image = ops.transpose(image, (0, 2, 3, 1)) / 4.0  # Lucid's scale of the initial image
        if channels == 3:
            image = ops.matmul(image, ops.convert_to_tensor(DECORRELATED_TO_RGB.T))
        # The coupled model shows g as 255 * sigmoid(2 g): g = image / 2
        # makes it Lucid's 255 * sigmoid(image).
        return image / 2.0

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.image_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_targets=self.num_targets,
            image_shape=self.image_shape,
            phase_only=self.phase_only,
            decay=self.decay,
            seed=self.seed,
        )
        return config


@keras.saving.register_keras_serializable(package="keras_featviz")
class PixelImage(keras.layers.Layer):
    """Images of `num_targets` targets held as their pixels (before the squashing).

    Args:
        num_targets: Int, the targets (batch size).
        image_shape: `(height, width, channels)`.
        seed: Int or `None`, seed of the small initial noise. Defaults to
            `None`.
    """

    def __init__(self, num_targets=1, image_shape=(224, 224, 3), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.num_targets = positive_int(num_targets, "num_targets")
        self.image_shape = tuple(int(d) for d in image_shape)
        self.seed = seed

    def build(self, input_shape):
        self.image = self.add_weight(
            name="image",
            shape=(self.num_targets, *self.image_shape),
            initializer=per_target(keras.initializers.RandomNormal(stddev=INITIAL_STDDEV), self.seed),
        )

    def call(self, inputs):
        return ops.convert_to_tensor(self.image)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.image_shape)

    def get_config(self):
        config = super().get_config()
        config.update(num_targets=self.num_targets, image_shape=self.image_shape, seed=self.seed)
        return config


KINDS = ("pixels", "fourier", "fourier_phase")


def image_generator(kind, image_shape, num_targets=1, seed=None, name="generator"):
    """A parameterised image as a generator: `(num_targets, 1)` constants to images.

    Args:
        kind: `"pixels"`, `"fourier"` or `"fourier_phase"`.
        image_shape: `(height, width, channels)` of the classifier input.
        num_targets: Int, targets side by side. Defaults to `1`.
        seed: Int or `None`. Defaults to `None`.
        name: String. Defaults to `"generator"`.

    Returns:
        A `keras.Model`.
    """
    f0 = keras.Input((1,), name="f0")
    if kind == "pixels":
        layer = PixelImage(num_targets, image_shape, seed=seed, name="pixel_image", dtype="float32")
    else:
        layer = FourierImage(
            num_targets,
            image_shape,
            phase_only=kind == "fourier_phase",
            seed=seed,
            name="fourier_image",
            dtype="float32",
        )
    return keras.Model(f0, layer(f0), name=name)
