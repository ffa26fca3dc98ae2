"""Reading images: a folder of images of any sizes, safely, and random and
centre crops of them (`load_images`, the command line's image folders, the
autoencoder's training crops).

It imports nothing else of the package.
"""

from __future__ import annotations

import numbers
import os
import stat
import warnings

import numpy as np
from PIL import Image

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
PIL_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def _image_mode(channels):
    mode = PIL_MODES.get(channels)
    if mode is None:
        raise ValueError(f"Images can be read with 1, 3 or 4 channels. Received: channels={channels}")
    return mode


def _read_file(path, mode):
    """One image file as a uint8 array in `mode`; 16-bit images scaled to 8 bits.

    Raises:
        OSError, ValueError or `Image.DecompressionBombError`: when the file
            cannot be read as an image.
    """
    with Image.open(path) as image:
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            # 16-bit PNGs and TIFFs: `convert` would clip every value above
            # 255 to white; scale 0-65535 to 0-255 instead.
            wide = np.asarray(image, "float64") / 257.0
            image = Image.fromarray(np.clip(np.round(wide), 0, 255).astype("uint8"), "L")
        return np.asarray(image.convert(mode), "uint8")


def _read_or_reason(path, mode):
    """`(array, None)` if `path` reads as an image, else `(None, why not)`."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None, "not a regular file"
        return _read_file(path, mode), None
    except Image.DecompressionBombError:
        return None, "too many pixels to be a safe image (a decompression bomb?)"
    except (OSError, ValueError, SyntaxError) as error:
        return None, f"unreadable ({type(error).__name__})"


def read_named_images(directory, channels=3, max_side=None):
    """Every image file under `directory`, each at its own size, with its path.

    Files that are not regular files (a FIFO named `x.png` would block
    forever), that cannot be read, or that would decode to more pixels
    than Pillow deems safe are skipped, with one warning naming them.

    Args:
        directory: Path of a folder (searched recursively, in name order).
        channels: Int, 1 (gray), 3 (RGB) or 4 (RGBA). Defaults to `3`.
        max_side: Int or `None`: an image whose shorter side is longer is
            shrunk to it (keeping its aspect), which bounds the memory a
            folder of large photos takes. Defaults to `None`.

    Returns:
        `(names, images)`: the files' paths relative to `directory`, and
        uint8 arrays `(height, width, channels)`.

    Raises:
        FileNotFoundError: if `directory` is not a folder.
        ValueError: if it holds no readable image.
    """
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"No folder at {directory!r}. Received: directory={directory!r}")
    mode = _image_mode(channels)
    names, images, skipped = [], [], []
    for root, _, files in sorted(os.walk(directory)):
        for name in sorted(files):
            if not name.lower().endswith(IMAGE_EXTENSIONS):
                continue
            path = os.path.join(root, name)
            array, reason = _read_or_reason(path, mode)
            if reason is not None:
                skipped.append(f"{os.path.relpath(path, directory)} ({reason})")
                continue
            names.append(os.path.relpath(path, directory))
            images.append(shrunk(array.reshape(array.shape[0], array.shape[1], channels), max_side))
    if skipped:
        warnings.warn(f"Skipped {len(skipped)} file(s) in {directory!r}: {'; '.join(skipped)}", stacklevel=2)
    if not images:
        raise ValueError(
            f"No readable image ({', '.join(IMAGE_EXTENSIONS)}) in {directory!r}. "
            f"Received: directory={directory!r}"
        )
    return names, images


def read_images(directory, channels=3, max_side=None):
    """Every image file under `directory`, each at its own size.

    As `read_named_images`, without the names.

    Returns:
        A list of uint8 arrays `(height, width, channels)`.
    """
    return read_named_images(directory, channels, max_side)[1]


def load_images(
    directory: str | os.PathLike, size: int | tuple[int, int], channels: int = 3, return_names: bool = False
) -> np.ndarray | tuple[np.ndarray, list[str]]:
    """The images of a folder, each centre-cropped and resized to `size`.

    The loader of the command line's image folders: every image (searched
    recursively, in name order) is cut to the largest centred region of
    `size`'s aspect and resized bilinearly, so photos of any sizes become
    one batch a classifier takes.

    Args:
        directory: Path of a folder of images (`.png`, `.jpg`, ...).
        size: Int or `(height, width)`, the classifier's input size.
        channels: Int, 1 (gray), 3 (RGB) or 4 (RGBA). Defaults to `3`.
        return_names: Bool, also return the files' paths relative to
            `directory`, in the images' order. Defaults to `False`.

    Returns:
        A uint8 array `(N, height, width, channels)`, RGB 0-255, or
        `(images, names)` with `return_names=True`.

    Example:

    ```python
    images = keras_featviz.load_images("photos/", 224)
    keras_featviz.Attributor(model).attribute(images)
    ```

    Raises:
        FileNotFoundError: if `directory` is not a folder.
        ValueError: for a bad `size`, or a folder with no readable image.
    """
    sides = (size, size) if isinstance(size, numbers.Integral) else size
    if not (
        isinstance(sides, (tuple, list))
        and len(sides) == 2
        and all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0 for s in sides)
    ):
        raise ValueError(f"`size` must be a positive int or (height, width). Received: size={size!r}")
    height, width = int(sides[0]), int(sides[1])
    names, images = read_named_images(directory, channels, max_side=2 * max(height, width))
    batch = np.stack([center_crop(image, (height, width)) for image in images])
    return (batch, names) if return_names else batch


def shrunk(image, max_side=None):
    """`image` (uint8 `(h, w, c)`) shrunk, keeping its aspect, so that its
    shorter side is at most `max_side`; as it is when it already is."""
    shorter = min(image.shape[:2])
    if max_side is None or shorter <= max_side:
        return image
    return _resized(image, tuple(max(1, round(side * max_side / shorter)) for side in image.shape[:2]))


def _resized(image, size):
    """A uint8 `(h, w, c)` array resized bilinearly to `size = (height, width)`."""
    channels = image.shape[2]
    picture = Image.fromarray(image[..., 0] if channels == 1 else image)
    resized = np.asarray(picture.resize((size[1], size[0]), Image.BILINEAR), "uint8")
    return resized.reshape(size[0], size[1], channels)


def random_crop(image, size, rng, min_scale=0.5, flip=True):
    """A random square-aspect crop of `image`, resized to `size`, maybe mirrored.

    The crop keeps `size`'s aspect and spans a uniform random fraction in
    `[min_scale, 1]` of the largest such region that fits the image, at a
    uniform random place: each epoch then sees other parts of every photo,
    at several scales, as natural-image training usually does.

    Args:
        image: uint8 array `(h, w, c)`, any size.
        size: `(height, width)` of the crop.
        rng: `numpy.random.Generator`.
        min_scale: Float in `(0, 1]`. Defaults to `0.5`.
        flip: Bool, mirror left-right half of the time. Defaults to `True`.

    Returns:
        uint8 array `(height, width, c)`.
    """
    rows, cols = image.shape[:2]
    fit = min(rows / size[0], cols / size[1])
    scale = rng.uniform(min_scale, 1.0)
    crop_rows = max(1, min(rows, round(size[0] * fit * scale)))
    crop_cols = max(1, min(cols, round(size[1] * fit * scale)))
    top = int(rng.integers(0, rows - crop_rows + 1))
    left = int(rng.integers(0, cols - crop_cols + 1))
    crop = _resized(image[top : top + crop_rows, left : left + crop_cols], size)
    return crop[:, ::-1] if flip and rng.random() < 0.5 else crop


def center_crop(image, size):
    """The largest centred crop of `image` with `size`'s aspect, resized to `size`."""
    rows, cols = image.shape[:2]
    fit = min(rows / size[0], cols / size[1])
    crop_rows, crop_cols = max(1, round(size[0] * fit)), max(1, round(size[1] * fit))
    top, left = (rows - crop_rows) // 2, (cols - crop_cols) // 2
    return _resized(image[top : top + crop_rows, left : left + crop_cols], size)
