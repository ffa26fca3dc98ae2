"""The denoising autoencoder whose decoder is the pretrained generator.

Section 4.2 and Fig. 3: an encoder maps a noisy image to a feature vector, a
decoder (`generators.decoder_network`) maps it back; both train on clean
targets with mean squared error. The decoder then serves as the frozen
generator of `FeatureVisualizer(generator="pretrained")`.
"""

from __future__ import annotations

import os
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_featviz import defaults
from keras_featviz.io.folders import center_crop, random_crop, read_images, shrunk
from keras_featviz.makers import generators
from keras_featviz.makers.generators import to_pixels
from keras_featviz.validation import (
    finite_images,
    non_finite_images,
    number,
    positive_int,
    random_seed,
    verbosity,
)

DEFAULT_NOISE_STDDEV = 0.1


def autoencoder_layout(image_shape, width="auto", downsample="auto"):
    """The filter multiplier and `downsample` an autoencoder of `image_shape` uses.

    Args:
        image_shape: Tuple `(height, width, channels)`.
        width: Float > 0, or `"auto"`: the paper's 1.0 below
            `defaults.LARGE_IMAGE_SIDE`, `defaults.LARGE_AUTOENCODER_WIDTH`
            from it up. Defaults to `"auto"`.
        downsample: Int >= 1, or `"auto"`: 1 below
            `defaults.LARGE_IMAGE_SIDE`,
            `defaults.LARGE_AUTOENCODER_DOWNSAMPLE` from it up. Defaults
            to `"auto"`.

    Returns:
        A tuple `(width, downsample)`.

    Raises:
        ValueError: if either is neither `"auto"` nor a valid number.
    """
    large = min(image_shape[:2]) >= defaults.LARGE_IMAGE_SIDE
    if isinstance(width, str) and width == "auto":
        width = defaults.LARGE_AUTOENCODER_WIDTH if large else defaults.PAPER_WIDTH
    if isinstance(downsample, str) and downsample == "auto":
        downsample = defaults.LARGE_AUTOENCODER_DOWNSAMPLE if large else 1
    width = float(number(width, "width", minimum=0, inclusive=False))
    return width, positive_int(downsample, "downsample")


def encoder_network(image_shape, width=1.0, seed=None, name="encoder", downsample=1):
    """Strided convolutions down to the decoder's 128-channel grid, flattened.

    Args:
        image_shape: Tuple `(height, width, channels)`.
        width: Float, filter multiplier. Defaults to `1.0`.
        seed: Int or `None`, seed of the weights. Defaults to `None`.
        name: String, the model name. Defaults to `"encoder"`.
        downsample: Int >= 1: the image is first averaged down this many
            times a side, to the size the decoder makes. Defaults to `1`.

    Returns:
        A `keras.Model` from images in `[-1, 1]` units to feature vectors of
        `generators.feature_size` of the size the decoder makes.
    """
    made = generators._made_shape(image_shape, downsample)
    _, grid = generators.plan_generator(made[0], made[1])
    inputs = keras.Input(image_shape, name="image")
    x, filters, count = inputs, 32, 0
    if made != tuple(image_shape):
        x = keras.layers.AveragePooling2D(downsample, padding="same", name="shrink")(x)
    while x.shape[1] // 2 >= grid[0] and x.shape[2] // 2 >= grid[1]:
        count += 1
        x = keras.layers.Conv2D(
            max(1, round(filters * width)),
            3,
            strides=2,
            padding="same",
            activation="relu",
            kernel_initializer=keras.initializers.GlorotUniform(
                seed=None if seed is None else seed + 100 + count
            ),
        )(x)
        x = keras.layers.BatchNormalization()(x)
        filters = min(filters * 2, 256)
    if tuple(x.shape[1:3]) != tuple(grid):
        x = keras.layers.Resizing(grid[0], grid[1])(x)
    x = keras.layers.Conv2D(generators.GRID_CHANNELS, 1)(x)
    return keras.Model(inputs, keras.layers.Flatten()(x), name=name)


class CropBatches(keras.utils.PyDataset):
    """Batches of crops of images of any sizes, for `fit`.

    Every epoch draws new random crops and mirror images
    (`folders.random_crop`), each image once an epoch in a new order; with
    `random=False`, the batches hold the images' centre crops
    (`folders.center_crop`), the same each epoch, as validation wants.

    Args:
        images: List of uint8 arrays `(h, w, c)`, any sizes.
        image_shape: Tuple `(height, width, channels)` of the crops.
        batch_size: Int. Defaults to `32`.
        crops_per_epoch: Int or `None`, random crops an epoch. Defaults to
            `None`: one per image, at least one batch.
        random: Bool, random crops (`True`) or centre crops. Defaults to
            `True`.
        seed: Int or `None`, seed of the random crops. Defaults to `None`.
        **kwargs: Passed to `keras.utils.PyDataset` (`workers`, ...).
    """

    def __init__(
        self, images, image_shape, batch_size=32, crops_per_epoch=None, random=True, seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.images = list(images)
        self.size = tuple(image_shape[:2])
        self.batch_size = positive_int(batch_size, "batch_size")
        self.random = bool(random)
        self.seed = int(np.random.default_rng().integers(2**31)) if seed is None else int(seed)
        count = max(len(self.images), self.batch_size) if random else len(self.images)
        self.crops = count if crops_per_epoch is None else positive_int(crops_per_epoch, "crops_per_epoch")
        self.epoch = 0

    def __len__(self):
        return -(-self.crops // self.batch_size)

    def __getitem__(self, index):
        picks = range(index * self.batch_size, min(self.crops, (index + 1) * self.batch_size))
        if not self.random:
            crops = [center_crop(self.images[i], self.size) for i in picks]
        else:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.images))
            crops = [random_crop(self.images[order[i % len(order)]], self.size, rng) for i in picks]
        return np.stack(crops).astype("float32")

    def on_epoch_end(self):
        self.epoch += 1


@keras.saving.register_keras_serializable(package="keras_featviz")
class DenoisingAutoencoder(keras.Model):
    """Denoising autoencoder (Vincent et al.) for pretrained generators.

    Takes RGB 0-255 images (or gray), adds Gaussian noise in `[-1, 1]` units
    while training, and learns to reconstruct the clean image with mean
    squared error. Train it like any Keras model (`fit(images)`, no labels)
    or with `fit_images`, and save it in Keras' `.keras` format.

    Args:
        image_shape: Tuple `(height, width, channels)` of the images, the
            classifier's input shape.
        width: Float, filter multiplier of encoder and decoder, or
            `"auto"`: the paper's 1.0 on images under 128 pixels a side,
            0.5 from 128 up (see `autoencoder_layout`). Defaults to
            `"auto"`.
        noise_stddev: Float, input noise in `[-1, 1]` units. Defaults to
            `0.1`.
        seed: Int or `None`. Defaults to `None`.
        downsample: Int >= 1, or `"auto"`: the decoder makes images this
            many times smaller a side, enlarged bilinearly, and the encoder
            reads them averaged down as much; `"auto"` is 1 under 128
            pixels a side, 4 from 128 up. Training then costs about 16x
            less per image at 224x224 (`benchmarks/autoencoder_cost.py`),
            and the images hold no detail finer than `downsample` pixels.
            Defaults to `"auto"`.

    Example:

    ```python
    dae = keras_featviz.DenoisingAutoencoder((64, 64, 3))
    dae.fit_images("my_images/", epochs=10)
    dae.save("dae.keras")
    visualizer = keras_featviz.FeatureVisualizer(
        model, generator="pretrained", decoder="dae.keras")
    ```

    Raises:
        ValueError: if `image_shape` is not `(h, w, c)`, `noise_stddev` is
            not in `[0, 1]`, or `width`, `downsample` or `seed` is invalid.
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        width: float | str = defaults.AUTOENCODER_WIDTH,
        noise_stddev: float = DEFAULT_NOISE_STDDEV,
        seed: int | None = None,
        downsample: int | str = defaults.AUTOENCODER_DOWNSAMPLE,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.image_shape = generators._check_image_shape(image_shape)
        noise_stddev = number(noise_stddev, "noise_stddev", minimum=0, maximum=1)
        self.width, self.downsample = autoencoder_layout(self.image_shape, width, downsample)
        width = self.width
        self.noise_stddev = float(noise_stddev)
        self.seed = seed = random_seed(seed)
        self.encoder = encoder_network(self.image_shape, width, seed, downsample=self.downsample)
        self.decoder = generators.decoder_network(self.image_shape, width, seed, downsample=self.downsample)
        self.noise = keras.layers.GaussianNoise(self.noise_stddev, seed=seed)

    def call(self, images: Any, training: bool = False) -> Any:
        x = self.noise(self.scale(images), training=training)
        return self.decoder(self.encoder(x, training=training), training=training)

    @staticmethod
    def scale(images: Any) -> Any:
        """RGB 0-255 pixels to `[-1, 1]` units."""
        return ops.cast(images, "float32") / 127.5 - 1.0

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        # Compare in pixel space through the same mapping the coupled model
        # uses, so the decoder's images are shown as they were learnt.
        loss = ops.mean(ops.square((to_pixels(y_pred) - ops.cast(x, "float32")) / 127.5))
        if self.losses:
            loss = loss + ops.sum(ops.stack(self.losses))
        return loss

    def reconstruct(self, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
        """Reconstructions of RGB 0-255 `images`, as uint8 pixels."""
        out = self.predict(np.asarray(images, "float32"), batch_size=batch_size, verbose=0)
        pixels = keras.ops.convert_to_numpy(to_pixels(out))
        return np.clip(np.round(pixels), 0, 255).astype("uint8")

    def fit_images(
        self,
        images: np.ndarray | list | str | os.PathLike,
        epochs: int = 10,
        batch_size: int = 32,
        validation_split: float = 0.1,
        verbose: str | int = "auto",
        crops_per_epoch: int | None = None,
        **kwargs,
    ) -> keras.callbacks.History:
        """Train on an array of images, images of any sizes, or a folder.

        Images of exactly `image_shape` train as given. Any others (a
        folder of the user's photos, a list of arrays, an array of another
        size) train on random crops with random left-right mirroring, new
        ones every epoch (`CropBatches`); the validation images are their
        centre crops. Compiles with Adam (1e-3) if not compiled yet.

        Args:
            images: uint8/float array `(N, h, w, c)` of 0-255 pixels, a list
                of `(h, w, c)` arrays of any sizes, or the path of a folder
                of image files (searched recursively; any sizes).
            epochs: Int. Defaults to `10`.
            batch_size: Int. Defaults to `32`.
            validation_split: Float in `[0, 1)`, the share of the images
                kept for validation. Defaults to `0.1`.
            verbose: As in `fit`. Defaults to `"auto"`.
            crops_per_epoch: Int or `None`, crops an epoch trains on, for
                images that are cropped. Defaults to `None`: one per
                training image, at least one batch.
            **kwargs: Passed to `fit` (callbacks, ...).

        Returns:
            The `History` of `fit`.

        Raises:
            FileNotFoundError: if a folder path is not a folder.
            ValueError: if the images have another number of channels, or
                the folder holds no readable image.
        """
        batch_size = positive_int(batch_size, "batch_size")
        epochs = positive_int(epochs, "epochs")
        verbose = verbosity(verbose)
        split = number(validation_split, "validation_split", minimum=0, maximum=1)
        if split == 1:
            raise ValueError(f"`validation_split` must be < 1. Received: validation_split={validation_split}")
        images = self._readable(images)
        if not self.compiled:
            self.compile(optimizer=keras.optimizers.Adam(1e-3))
        fit = dict(epochs=epochs, verbose=verbose, **kwargs)
        if not isinstance(images, list):
            return self.fit(images, batch_size=batch_size, validation_split=split, **fit)
        order = np.random.default_rng(self.seed).permutation(len(images))
        held = round(len(images) * split) if len(images) > 1 else 0
        train = [images[i] for i in order[held:]]
        batches = CropBatches(train, self.image_shape, batch_size, crops_per_epoch, seed=self.seed)
        if held:
            held_out = [images[i] for i in order[:held]]
            validation = CropBatches(held_out, self.image_shape, batch_size, random=False)
            fit["validation_data"] = validation
        return self.fit(batches, **fit)

    def _readable(self, images):
        """A 4-D array of `image_shape`, or a list of `(h, w, c)` arrays to crop."""
        channels = self.image_shape[2]
        if isinstance(images, (str, os.PathLike)):
            return read_images(images, channels, max_side=2 * max(self.image_shape[:2]))
        if not isinstance(images, (list, tuple)):
            array = np.asarray(images)
            if array.ndim == 4 and array.shape[1:] == self.image_shape:
                return finite_images(array.astype("float32"))
            images = list(array) if array.ndim == 4 else [array]
        images = [np.asarray(image) for image in images]
        for index, image in enumerate(images):
            if non_finite_images(image[None]).any():
                raise ValueError(
                    "`images` must hold finite pixel values. Received: NaN or infinity in the "
                    f"image at index {index}"
                )
            if image.ndim != 3 or image.shape[2] != channels:
                raise ValueError(
                    f"Each image must be (height, width, {channels}), as the autoencoder's "
                    f"{self.image_shape}. Received: an image of shape {image.shape}"
                )
        # Crops need no more than twice the crop's side: bounded memory.
        max_side = 2 * max(self.image_shape[:2])
        return [shrunk(np.clip(image, 0, 255).astype("uint8"), max_side) for image in images]

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            image_shape=list(self.image_shape),
            width=self.width,
            noise_stddev=self.noise_stddev,
            seed=self.seed,
            downsample=self.downsample,
        )
        return config

    @classmethod
    def from_config(cls, config: dict) -> DenoisingAutoencoder:
        config = dict(config)
        config["image_shape"] = tuple(config["image_shape"])
        # Files saved before `downsample` existed hold full-size networks.
        config.setdefault("downsample", 1)
        config.setdefault("width", defaults.PAPER_WIDTH)
        return cls(**config)

    @classmethod
    def load(cls, path: str | os.PathLike) -> DenoisingAutoencoder:
        """Load a saved autoencoder from a `.keras` file.

        Raises:
            FileNotFoundError: if there is no file at `path`.
            ValueError: if the file holds no `DenoisingAutoencoder`.
        """
        if not os.path.exists(path):
            raise FileNotFoundError(f"No autoencoder file at {path!r}. Received: path={path!r}")
        model = keras.saving.load_model(path)
        if not isinstance(model, cls):
            raise ValueError(
                f"The file {path!r} holds a {type(model).__name__}, not a "
                f"DenoisingAutoencoder. Received: path={path!r}"
            )
        return model
