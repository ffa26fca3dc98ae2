"""The denoising autoencoder whose decoder is the pretrained generator.

Section 4.2 and Fig. 3: an encoder maps a noisy image to a feature vector, a
decoder (`generators.decoder_network`) maps it back; both train on clean
targets with mean squared error. The decoder then serves as the frozen
generator of `FeatureVisualizer(generator="pretrained")`.
"""

import os

import keras
import numpy as np
from keras import ops

from keras_featviz import generators
from keras_featviz.coupled import to_pixels
from keras_featviz.data import load_images
from keras_featviz.validation import number

DEFAULT_NOISE_STDDEV = 0.1


def encoder_network(image_shape, width=1.0, seed=None, name="encoder"):
    """Strided convolutions down to the decoder's 128-channel grid, flattened.

    Args:
        image_shape: Tuple `(height, width, channels)`.
        width: Float, filter multiplier. Defaults to `1.0`.
        seed: Int or `None`, seed of the weights. Defaults to `None`.
        name: String, the model name. Defaults to `"encoder"`.

    Returns:
        A `keras.Model` from images in `[-1, 1]` units to feature vectors of
        `generators.feature_size(image_shape)`.
    """
    _, grid = generators.plan_generator(image_shape[0], image_shape[1])
    inputs = keras.Input(image_shape, name="image")
    x, filters, count = inputs, 32, 0
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
        width: Float, filter multiplier of encoder and decoder. Defaults to
            `1.0`.
        noise_stddev: Float, input noise in `[-1, 1]` units. Defaults to
            `0.1`.
        seed: Int or `None`. Defaults to `None`.

    Example:

    ```python
    dae = keras_featviz.DenoisingAutoencoder((64, 64, 3))
    dae.fit_images("my_images/", epochs=10)
    dae.save("dae.keras")
    visualizer = keras_featviz.FeatureVisualizer(
        model, generator="pretrained", decoder="dae.keras")
    ```

    Raises:
        ValueError: if `image_shape` is not `(h, w, c)` or `noise_stddev` is
            not in `[0, 1]`.
    """

    def __init__(self, image_shape, width=1.0, noise_stddev=DEFAULT_NOISE_STDDEV, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = generators._check_image_shape(image_shape)
        noise_stddev = number(noise_stddev, "noise_stddev", minimum=0, maximum=1)
        self.width = width
        self.noise_stddev = float(noise_stddev)
        self.seed = seed
        self.encoder = encoder_network(self.image_shape, width, seed)
        self.decoder = generators.decoder_network(self.image_shape, width, seed)
        self.noise = keras.layers.GaussianNoise(self.noise_stddev, seed=seed)

    def call(self, images, training=False):
        x = self.noise(self.scale(images), training=training)
        return self.decoder(self.encoder(x, training=training), training=training)

    @staticmethod
    def scale(images):
        """RGB 0-255 pixels to `[-1, 1]` units."""
        return ops.cast(images, "float32") / 127.5 - 1.0

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        # Compare in pixel space through the same mapping the coupled model
        # uses, so the decoder's images are shown as they were learnt.
        loss = ops.mean(ops.square((to_pixels(y_pred) - ops.cast(x, "float32")) / 127.5))
        if self.losses:
            loss = loss + ops.sum(ops.stack(self.losses))
        return loss

    def reconstruct(self, images, batch_size=32):
        """Reconstructions of RGB 0-255 `images`, as uint8 pixels."""
        out = self.predict(np.asarray(images, "float32"), batch_size=batch_size, verbose=0)
        pixels = keras.ops.convert_to_numpy(to_pixels(out))
        return np.clip(np.round(pixels), 0, 255).astype("uint8")

    def fit_images(
        self,
        images: np.ndarray | str | os.PathLike,
        epochs: int = 10,
        batch_size: int = 32,
        validation_split: float = 0.1,
        verbose: str | int = "auto",
        **kwargs,
    ) -> keras.callbacks.History:
        """Train on an array of images or a folder of image files.

        Compiles with Adam (1e-3) if not compiled yet.

        Args:
            images: uint8/float array `(N, h, w, c)` of 0-255 pixels, or the
                path of a folder of images (resized to `image_shape`).
            epochs: Int. Defaults to `10`.
            batch_size: Int. Defaults to `32`.
            validation_split: Float. Defaults to `0.1`.
            verbose: As in `fit`. Defaults to `"auto"`.
            **kwargs: Passed to `fit` (callbacks, ...).

        Returns:
            The `History` of `fit`.

        Raises:
            ValueError: if the images do not have the autoencoder's shape.
        """
        if isinstance(images, (str, os.PathLike)):
            images = load_images(images, self.image_shape)
        images = np.asarray(images, "float32")
        if images.shape[1:] != self.image_shape:
            raise ValueError(
                f"The images must have shape (N, {', '.join(map(str, self.image_shape))}). "
                f"Received: images.shape={images.shape}"
            )
        if not self.compiled:
            self.compile(optimizer=keras.optimizers.Adam(1e-3))
        return self.fit(
            images,
            epochs=epochs,
            batch_size=batch_size,
            validation_split=validation_split,
            verbose=verbose,
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            image_shape=list(self.image_shape),
            width=self.width,
            noise_stddev=self.noise_stddev,
            seed=self.seed,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["image_shape"] = tuple(config["image_shape"])
        return cls(**config)

    @classmethod
    def load(cls, path):
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
