"""Transforms: random changes between the generator and the classifier.

An image that only one exact arrangement of pixels makes the classifier
respond to is an adversarial pattern, not a picture of the class. Lucid's
transformation robustness (Olah et al. 2017; seed 004) asks the image to
work under small random jitter, scaling and rotation at every step, which
leaves the high-frequency patterns behind. `RandomAffine` draws one
similarity transform per image and step and applies it with one bilinear
resampling (`keras.ops.image.affine_transform`), on every backend. The
transforms act in training only: the image shown and scored is the
generator's own.

Presets (`get(name)`):

- `"standard"`: Lucid's standard preset (pad 12, jitter 8, scale 0.9-1.1,
  rotate -10..10 degrees, jitter 4, at 224x224) folded into one transform
  and scaled to the image size.
- `"strong"`: shifts of a fifth of the side, zooms of 0.6-1.8 and turns of
  up to 30 degrees. The default for Lucid's and MACO's images on images of
  `defaults.LARGE_IMAGE_SIDE` or more (`resolve("auto", ...)`): see
  `STRONG_SHIFT` for what it did. Generator networks keep `"standard"`:
  under these changes the scratch generator made smooth blobs.
"""

import math

import keras
from keras import ops

from keras_featviz import defaults
from keras_featviz.makers import parameterizations
from keras_featviz.validation import number, one_of

PRESETS = ("standard", "strong", "none")
FILL_MODES = ("reflect", "nearest", "constant")
# Lucid's standard transforms at 224x224: 12 px of padding (which the
# reflected border stands in for), then jitter 8 and 4 px.
STANDARD_SHIFT = 12 / 224
STANDARD_SCALE = (0.9, 1.1)
STANDARD_DEGREES = 10.0
# Stronger changes than Lucid's keep less of what only this classifier sees.
# Class images of the 19 classes of a MobileNetV2 dog-breed classifier,
# judged by two EfficientNets (`benchmarks/real_models.py --setup dogs
# --seeds 0 1 2 --makers defaults lucid`, Lucid's Fourier image, 150 steps,
# mean of the seeds): top-5 of 1,000 on Lite0 42% with "standard", 65% with
# these; on Lite2 30% against 54%; at the same cost. In single-seed trials
# (seed 0), turns of 60 degrees or zooms that only enlarge (0.9-2.0) did
# worse than these, and 2 or 4 transformed copies of each image a step no
# better at 2 to 3 times the cost. The scratch generator under them made
# smooth blobs that neither judge recognised (0% top-5 on seed 0, against
# 37% with "standard"): generators keep "standard".
STRONG_SHIFT = 0.2
STRONG_SCALE = (0.6, 1.8)
STRONG_DEGREES = 30.0


@keras.saving.register_keras_serializable(package="keras_featviz")
class RandomAffine(keras.layers.Layer):
    """Random shift, scale and rotation of each image, in training only.

    Args:
        shift: Float >= 0, the largest shift as a fraction of the image side.
            Defaults to `12 / 224`.
        scale: Pair of floats > 0, the range of the zoom. Defaults to
            `(0.9, 1.1)`.
        degrees: Float >= 0, the largest rotation either way. Defaults to
            `10.0`.
        seed: Int or `None`. Defaults to `None`.
        fill_mode: How the pixels a move brings in from beyond the border
            are filled: `"reflect"` (mirrored from inside), `"nearest"`
            (the border pixel repeated) or `"constant"` (`fill_value`).
            Defaults to `"reflect"`.
        fill_value: Float, the 0-255 pixel value of `fill_mode="constant"`,
            on every channel. Defaults to `0.0`.

    Example:

    >>> layer = RandomAffine(seed=0)
    >>> layer(keras.ops.ones((2, 32, 32, 3)), training=True).shape
    (2, 32, 32, 3)

    Raises:
        ValueError: for a negative shift or degrees, a bad scale range or
            an unknown fill mode.
    """

    def __init__(
        self,
        shift=STANDARD_SHIFT,
        scale=STANDARD_SCALE,
        degrees=STANDARD_DEGREES,
        seed=None,
        fill_mode="reflect",
        fill_value=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.shift = number(shift, "shift", minimum=0)
        low, high = (number(s, "scale", minimum=0, inclusive=False) for s in scale)
        if low > high:
            raise ValueError(f"`scale` must be a (low, high) range. Received: scale={tuple(scale)}")
        self.scale = (low, high)
        self.degrees = number(degrees, "degrees", minimum=0)
        self.seed = seed
        self.fill_mode = one_of(fill_mode, "fill_mode", FILL_MODES)
        self.fill_value = number(fill_value, "fill_value", minimum=0, maximum=255)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        count = ops.shape(images)[0]
        height, width = images.shape[1], images.shape[2]
        draw = lambda low, high: keras.random.uniform(  # noqa: E731
            (count,), low, high, seed=self.seed_generator, dtype="float32"
        )
        angle = draw(-self.degrees, self.degrees) * (math.pi / 180.0)
        zoom = draw(*self.scale)
        shift_y = draw(-self.shift, self.shift) * height
        shift_x = draw(-self.shift, self.shift) * width
        # Output pixel (x, y) reads input pixel (a0 x + a1 y + a2, b0 x + b1 y + b2):
        # a rotation and zoom about the centre, then the shift.
        cos, sin = ops.cos(angle) / zoom, ops.sin(angle) / zoom
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        zeros = ops.zeros_like(cos)
        transform = ops.stack(
            [
                cos,
                sin,
                cx - cos * cx - sin * cy + shift_x,
                -sin,
                cos,
                cy + sin * cx - cos * cy + shift_y,
                zeros,
                zeros,
            ],
            axis=1,
        )
        moved = ops.image.affine_transform(
            ops.cast(images, "float32"),
            transform,
            interpolation="bilinear",
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
        )
        return ops.cast(moved, images.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            shift=self.shift,
            scale=self.scale,
            degrees=self.degrees,
            seed=self.seed,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
        )
        return config


def resolve(transforms, image_shape, generator=None):
    """`transforms` with `"auto"` made a preset for this image maker and size.

    `"auto"` is, on images of `defaults.LARGE_IMAGE_SIDE` pixels a side or
    more, `defaults.LARGE_IMAGE_TRANSFORMS` for an image optimised directly
    (`generator` one of `parameterizations.KINDS`: Lucid's Fourier image,
    MACO's, pixels) and `defaults.LARGE_GENERATOR_TRANSFORMS` for a
    generator network; on smaller images `defaults.SMALL_IMAGE_TRANSFORMS`
    and `defaults.SMALL_GENERATOR_TRANSFORMS`. Anything else is returned as
    it is.

    Args:
        transforms: A preset name, `"auto"`, `None` or a Keras layer.
        image_shape: `(height, width, channels)` of the classifier's input.
        generator: The image maker's mode (`"fourier"`, `"scratch"`, ...),
            or `None` for a generator network. Defaults to `None`.
    """
    if not (isinstance(transforms, str) and transforms == "auto"):
        return transforms
    direct = isinstance(generator, str) and generator in parameterizations.KINDS
    if min(image_shape[:2]) < defaults.LARGE_IMAGE_SIDE:
        return defaults.SMALL_IMAGE_TRANSFORMS if direct else defaults.SMALL_GENERATOR_TRANSFORMS
    return defaults.LARGE_IMAGE_TRANSFORMS if direct else defaults.LARGE_GENERATOR_TRANSFORMS


def get(transforms, seed=None):
    """Resolve `transforms` to a layer (or `None` for none).

    Args:
        transforms: `"standard"`, `"strong"`, `"none"`, `None` or a Keras
            layer (any callable layer on `(batch, h, w, c)` pixels taking
            `training`).
        seed: Int or `None`, the seed of a preset. Defaults to `None`.

    Raises:
        ValueError: for an unknown name or a non-layer.
    """
    if transforms is None or transforms == "none":
        return None
    if transforms == "standard":
        return RandomAffine(seed=seed, name="transforms")
    if transforms == "strong":
        return RandomAffine(STRONG_SHIFT, STRONG_SCALE, STRONG_DEGREES, seed=seed, name="transforms")
    if isinstance(transforms, keras.layers.Layer):
        return transforms
    raise ValueError(
        f"`transforms` must be one of {list(PRESETS)}, None or a Keras layer. "
        f"Received: transforms={transforms!r}"
    )
