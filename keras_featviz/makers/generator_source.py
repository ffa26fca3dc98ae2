"""How the image is made: one `GeneratorSource` for each generator choice.

The user picks a generator once, as `"scratch"`, `"pretrained"` (with a
decoder) or a `keras.Model`. `GeneratorSource` checks that choice and the
decoder once, and from then on answers everything the loop and the memory
estimate ask: whether only the feature vector trains (`latent`), whether
many targets train side by side (`batched`), whether a warm start keeps the
optimizer's moments, and `build(num_targets)`, a fresh generator network
for that many targets.
"""

from __future__ import annotations

import os
from typing import Any

import keras

from keras_featviz import defaults
from keras_featviz.config import GENERATOR_CHOICES, PRECISIONS
from keras_featviz.makers import generators, parameterizations
from keras_featviz.makers.layers import FeatureVector
from keras_featviz.validation import boolean, number, one_of, positive_int

# What `generator=` takes by name: `"auto"` (`resolve_generator`), or a mode.
CHOICES = GENERATOR_CHOICES
AUTO = CHOICES[0]
GENERATOR_MODES = CHOICES[1:]


def check_mode(generator, decoder):
    """The generator mode (`"model"` for a model), checked with `decoder`.

    Raises:
        ValueError: for an unknown mode, or a decoder that does not go with
            it.
    """
    if isinstance(generator, keras.Model):
        return "model"
    if not isinstance(generator, str) or generator not in CHOICES:
        raise ValueError(
            f"`generator` must be one of {list(CHOICES)} or a keras.Model. Received: generator={generator!r}"
        )
    if generator == "pretrained" and decoder is None:
        raise ValueError(
            "generator='pretrained' needs a `decoder`: a `.keras` file, a "
            "DenoisingAutoencoder or a decoder model. Received: decoder=None"
        )
    if generator != "pretrained" and decoder is not None:
        raise ValueError(
            "`decoder` is used only with generator='pretrained'. Received: "
            f"generator={generator!r} and decoder={decoder!r}"
        )
    if isinstance(decoder, (str, os.PathLike)) and not os.path.exists(os.fspath(decoder)):
        raise FileNotFoundError(f"No decoder file at {os.fspath(decoder)!r}. Received: decoder={decoder!r}")
    return generator


def resolve_generator(generator, image_shape):
    """`generator`, with `"auto"` resolved for a classifier's `image_shape`.

    `"auto"` is `defaults.LARGE_IMAGE_GENERATOR` on images of
    `defaults.LARGE_IMAGE_SIDE` pixels a side or more and
    `defaults.SMALL_IMAGE_GENERATOR` below: Lucid's Fourier image on both
    (`defaults` says why).
    """
    if isinstance(generator, str) and generator == AUTO:
        large = min(image_shape[:2]) >= defaults.LARGE_IMAGE_SIDE
        return defaults.LARGE_IMAGE_GENERATOR if large else defaults.SMALL_IMAGE_GENERATOR
    return generator


def load_decoder(decoder):
    """A decoder `keras.Model` from a path, an autoencoder or a model.

    Raises:
        FileNotFoundError: if the path does not exist.
        ValueError: if the file cannot be read as a Keras model, or holds no
            vector-to-image model.
    """
    from keras_featviz.makers.autoencoder import DenoisingAutoencoder

    if isinstance(decoder, (str, os.PathLike)):
        path = os.fspath(decoder)
        if not os.path.exists(path):
            raise FileNotFoundError(f"No decoder file at {path!r}. Received: decoder={path!r}")
        try:
            decoder = keras.saving.load_model(path, compile=False)
        except Exception as error:
            raise ValueError(
                f"Could not read the decoder file {path!r} as a Keras model "
                f"({type(error).__name__}: {error}). Received: decoder={path!r}"
            ) from error
    if isinstance(decoder, DenoisingAutoencoder):
        decoder = decoder.decoder
    if not isinstance(decoder, keras.Model):
        raise ValueError(
            "`decoder` must be a path to a `.keras` file, a "
            "DenoisingAutoencoder or a keras.Model mapping a vector to an "
            f"image. Received: decoder={decoder!r}"
        )
    if len(decoder.input_shape) != 2:
        raise ValueError(
            "The decoder must map a vector (batch, features) to an image. "
            f"Received: decoder input_shape={decoder.input_shape}"
        )
    return decoder


def copy_model(model, dtype_policy=None):
    """A copy of `model` with its weights, its layers under `dtype_policy` if given."""

    def with_policy(layer):
        if isinstance(layer, keras.Model):
            return copy_model(layer, dtype_policy)
        return layer.__class__.from_config({**layer.get_config(), "dtype": dtype_policy})

    copy = keras.models.clone_model(model, clone_function=with_policy if dtype_policy else None)
    copy.set_weights(model.get_weights())
    return copy


class GeneratorSource:
    """Fresh generator networks of one kind, for any number of targets.

    Args:
        generator: `"auto"` (see `resolve_generator`), `"scratch"`, `"pretrained"`, one of
            `parameterizations.KINDS` (`"pixels"`, `"fourier"`: Lucid's
            decorrelated Fourier image, `"fourier_phase"`: MACO's phase
            only, under a natural magnitude spectrum) or a `keras.Model`
            from a vector to an image.
        image_shape: The classifier's `(height, width, channels)`.
        decoder: With `"pretrained"`: a `.keras` path, a
            `DenoisingAutoencoder` or a decoder model. Defaults to `None`.
        width: Float > 0, the scratch generator's filter multiplier.
            Defaults to `defaults.PAPER_WIDTH` (1.0).
        noise: Float >= 0 or `None`, the feature-vector noise; `None` for
            each mode's default. Defaults to `None`.
        seed: Int or `None`. Defaults to `None`.
        precision: A dtype policy name for a decoder or a user's model, or
            `None`. Defaults to `None`.
        patches: How batched scratch convolutions lay out their patches
            (see `TargetConv2D`). Defaults to `"auto"`.
        downsample: Int >= 1, see `generators.scratch_generator`. Defaults
            to `1`.
        colors: `"rgb"` or `"decorrelated"`, see
            `generators.scratch_generator`. Defaults to `"rgb"`.
        pyramid: Bool, the scratch generator's multi-scale output, see
            `generators.scratch_generator`. Defaults to `False`.

    Attributes:
        mode: `"scratch"`, `"pretrained"`, `"fourier"`, `"fourier_phase"`
            or `"model"`.
        trains: What the optimizer moves: `"generator"` (a network's
            weights), `"latent"` (the feature vector `alpha`) or `"image"`
            (an image's own pixels or spectrum); `optimizers` picks its
            default by it.
        latent: Bool, only the feature vector `alpha` trains (pretrained
            mode, or a user's model whose weights are all frozen).
        batched: Bool, many targets train side by side, one row of each
            trainable weight each; otherwise one target at a time.
        keeps_moments: Bool, whether a warm start in place keeps the
            optimizer's moments: a scratch generator's weights do better
            with them (shapes demo, 6 callback epochs of 10 steps: 94% of
            the classes first against 61% reset); the scale vector of
            pretrained mode with Adam restarted (83% against 72%).

    Raises:
        ValueError: for an unknown mode, a bad decoder or width, or a
            generator whose output does not fit `image_shape`.
        FileNotFoundError: for a missing decoder file.
    """

    def __init__(
        self,
        generator: str | keras.Model,
        image_shape: tuple[int, int, int],
        decoder: Any = None,
        width: float = defaults.PAPER_WIDTH,
        noise: float | None = None,
        seed: int | None = None,
        precision: str | None = None,
        patches: str = "auto",
        downsample: int = 1,
        colors: str = "rgb",
        pyramid: bool = False,
    ) -> None:
        self.mode = check_mode(resolve_generator(generator, image_shape), decoder)
        self.pyramid = boolean(pyramid, "pyramid")
        self.colors = one_of(colors, "colors", generators.COLORS)
        self.downsample = positive_int(downsample, "downsample")
        self.image_shape = tuple(image_shape)
        self.width = number(width, "width", minimum=0, inclusive=False, maximum=defaults.MAX_WIDTH)
        self.noise = number(noise, "noise", minimum=0, optional=True)
        self.seed = seed
        self.precision = one_of(precision, "precision", PRECISIONS)
        self.patches = patches
        self._model: Any = None  # the decoder or the user's generator, fitted
        if self.mode == "pretrained":
            self._model = self._fitting(load_decoder(decoder))
        elif self.mode == "model":
            self._model = self._fitting(generator)
        self.latent = self.mode == "pretrained" or (
            self.mode == "model" and not self._model.trainable_weights
        )
        self.batched = self.mode != "model" or self.latent
        self.keeps_moments = not self.latent
        if self.latent:
            self.trains = "latent"
        elif self.mode in parameterizations.KINDS:
            self.trains = "image"
        else:
            self.trains = "generator"

    def _fitting(self, model):
        shape = tuple(model.output_shape[1:])
        if shape != self.image_shape:
            raise ValueError(
                "The generator's output must fit the classifier's input "
                f"{self.image_shape}. Received: generator output_shape={shape}"
            )
        return model

    @property
    def noise_stddev(self) -> float:
        """The sigma of the feature-vector noise in use."""
        if self.noise is not None:
            return self.noise
        return defaults.LATENT_NOISE if self.latent else defaults.SCRATCH_NOISE

    def build(self, num_targets: int = 1) -> keras.Model:
        """A new generator network for `num_targets` targets side by side.

        A source that is not `batched` (a user's model whose weights train)
        always builds a one-target network.

        Returns:
            A `keras.Model` from `(num_targets, features)` to images.
        """
        if self.mode == "scratch":
            return generators.scratch_generator(
                self.image_shape,
                self.width,
                num_targets=num_targets,
                seed=self.seed,
                noise_stddev=self.noise_stddev,
                patches=self.patches,
                downsample=self.downsample,
                colors=self.colors,
                pyramid=self.pyramid,
            )
        if self.mode in parameterizations.KINDS:
            return parameterizations.image_generator(self.mode, self.image_shape, num_targets, seed=self.seed)
        if self.latent:
            return generators.latent_generator(
                copy_model(self._model, self.precision),
                num_targets=num_targets,
                seed=self.seed,
                noise_stddev=self.noise_stddev,
            )
        f0 = keras.Input(self._model.input_shape[1:], name="f0")
        x = FeatureVector(
            num_targets=1,
            stddev=self.noise_stddev,
            seed=self.seed,
            name="feature_vector",
            dtype="float32",
        )(f0)
        return keras.Model(f0, copy_model(self._model, self.precision)(x), name="generator")
