"""Image data: reading a folder of images of any sizes, random and centre
crops of them, and the synthetic shapes dataset.

The shapes dataset (after seed 004) is made on the fly, so the package runs
with no download: six shapes x three fill styles (single line, double line,
filled) = 18 classes, in random colours, positions, sizes and rotations. One
class may carry a planted cue, a small marker that appears with every image
of that class and rarely elsewhere, so users can watch a visualization
reveal a learnt bias (Despraz et al., section 5.1).
"""

from __future__ import annotations

import math
import numbers
import os
import stat
import warnings

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SHAPES = ("circle", "triangle", "square", "pentagon", "star", "cross")
FILLS = ("line", "double", "filled")
CLASS_NAMES = tuple(f"{shape}_{fill}" for shape in SHAPES for fill in FILLS)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
COLOURS = (
    (230, 60, 60),
    (60, 200, 80),
    (70, 110, 240),
    (240, 220, 60),
    (220, 90, 220),
    (60, 210, 220),
    (245, 150, 40),
    (235, 235, 235),
)
CUE_COLOUR = (255, 255, 255)
# The planted cues `shapes_data` can draw (`cue_kind`), each a marker no
# shape makes: the demo's white square at the top left; a pink patch at a
# random corner; a yellow frame; a cyan dot at a fixed place; faint
# diagonal stripes over the whole image.
CUE_KINDS = ("square", "corner_patch", "frame", "dot", "stripes")
CUE_COLOURS = {
    "square": CUE_COLOUR,
    "corner_patch": (255, 0, 160),
    "frame": (255, 255, 0),
    "dot": (0, 255, 255),
}
STRIPE_PERIOD = 4
STRIPE_AMPLITUDE = 40.0


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


def _polygon(shape, cx, cy, radius, angle):
    if shape == "star":
        points = [(radius * (1.0 if k % 2 == 0 else 0.45), angle + k * math.pi / 5) for k in range(10)]
    elif shape == "cross":
        a, b = radius, radius * 0.38
        corners = [
            (b, a),
            (b, b),
            (a, b),
            (a, -b),
            (b, -b),
            (b, -a),
            (-b, -a),
            (-b, -b),
            (-a, -b),
            (-a, b),
            (-b, b),
            (-b, a),
        ]
        points = [(math.hypot(x, y), angle + math.atan2(y, x)) for x, y in corners]
    else:
        sides = {"triangle": 3, "square": 4, "pentagon": 5}[shape]
        points = [(radius, angle + 2 * math.pi * k / sides) for k in range(sides)]
    return [(cx + r * math.cos(t), cy + r * math.sin(t)) for r, t in points]


def _draw(draw, shape, cx, cy, radius, angle, colour, fill, line):
    if shape == "circle":
        box = [cx - radius, cy - radius, cx + radius, cy + radius]
        if fill == "filled":
            draw.ellipse(box, fill=colour)
        else:
            draw.ellipse(box, outline=colour, width=line)
        return
    points = _polygon(shape, cx, cy, radius, angle)
    if fill == "filled":
        draw.polygon(points, fill=colour)
    else:
        draw.line(points + points[:1], fill=colour, width=line, joint="curve")


def cue_box(kind, size):
    """Where a fixed-place cue is drawn: `(left, top, right, bottom)`, inclusive."""
    if kind == "square":
        side = max(2, size // 10)
        return 1, 1, side, side
    if kind == "dot":
        at, side = size * 3 // 4, max(1, size // 16)
        return at, size // 4, at + side, size // 4 + side
    raise ValueError(f"`kind` must be 'square' or 'dot'. Received: kind={kind!r}")


def _draw_cue(image, draw, kind, size, rng):
    if kind in ("square", "dot"):
        draw.rectangle(cue_box(kind, size), fill=CUE_COLOURS[kind])
    elif kind == "corner_patch":
        side = max(2, size // 8)
        left, top = (1 if rng.random() < 0.5 else size - 1 - side for _ in range(2))
        draw.rectangle([left, top, left + side, top + side], fill=CUE_COLOURS[kind])
    elif kind == "frame":
        draw.rectangle([0, 0, size - 1, size - 1], outline=CUE_COLOURS[kind], width=max(1, size // 32))


def _stripes(size):
    rows, cols = np.indices((size, size))
    return STRIPE_AMPLITUDE * (((rows + cols) % STRIPE_PERIOD) < STRIPE_PERIOD // 2)[..., None]


def draw_shape(label, size=64, rng=None, cue=False):
    """One RGB image of class `label` (an index into `CLASS_NAMES`).

    Args:
        label: Int, the class.
        size: Int, image side. Defaults to `64`.
        rng: `numpy.random.Generator`. Defaults to `None` (a fresh one).
        cue: `False`, `True` (the demo's cue: a small white square in the
            top left corner) or one of `CUE_KINDS`. Defaults to `False`.

    Returns:
        uint8 array `(size, size, 3)`.
    """
    rng = rng or np.random.default_rng()
    shape, fill = SHAPES[label // len(FILLS)], FILLS[label % len(FILLS)]
    image = Image.new("RGB", (size, size), (0, 0, 0))
    draw = ImageDraw.Draw(image)
    radius = size * rng.uniform(0.22, 0.34)
    margin = radius + 1
    cx, cy = rng.uniform(margin, size - margin, 2)
    angle = rng.uniform(0, 2 * math.pi)
    colour = COLOURS[rng.integers(len(COLOURS))]
    line = max(1, round(size / 32))
    _draw(draw, shape, cx, cy, radius, angle, colour, fill, line)
    if fill == "double":
        _draw(draw, shape, cx, cy, radius * 0.62, angle, colour, "line", line)
    kind = "square" if cue is True else cue or None
    if kind and kind != "stripes":
        _draw_cue(image, draw, kind, size, rng)
    pixels = np.asarray(image, "float32")
    if kind == "stripes":
        pixels += _stripes(size)
    pixels += rng.normal(0, 6, pixels.shape)  # sensor noise: no two alike
    return np.clip(pixels, 0, 255).astype("uint8")


def shapes_data(
    train=3600,
    validation=720,
    test=720,
    size=64,
    seed=0,
    cue_class=None,
    cue_rate=0.02,
    classes=None,
    cue_kind="square",
):
    """The synthetic shapes dataset, split like `keras.datasets` loaders.

    Args:
        train: Int, training images. Defaults to `3600`.
        validation: Int, validation images. Defaults to `720`.
        test: Int, test images. Defaults to `720`.
        size: Int, image side. Defaults to `64`.
        seed: Int, the dataset is a function of its seed. Defaults to `0`.
        cue_class: Int or `None`, the class that carries the planted cue in
            every image. Defaults to `None` (no cue).
        cue_rate: Float, share of images of other classes that carry the cue
            too. Defaults to `0.02`.
        classes: Int or `None`, use only the first `classes` classes.
            Defaults to `None` (all 18).
        cue_kind: Which planted cue, one of `CUE_KINDS`. Defaults to
            `"square"` (the demo's).

    Returns:
        `((x_train, y_train), (x_val, y_val), (x_test, y_test))`: uint8
        images `(N, size, size, 3)` and int labels; classes balanced.

    Raises:
        ValueError: if `cue_class` is not a class or a count is negative.
    """
    count = len(CLASS_NAMES) if classes is None else int(classes)
    if not 1 <= count <= len(CLASS_NAMES):
        raise ValueError(f"`classes` must be in [1, {len(CLASS_NAMES)}]. Received: classes={classes}")
    if cue_kind not in CUE_KINDS:
        raise ValueError(f"`cue_kind` must be one of {list(CUE_KINDS)}. Received: cue_kind={cue_kind!r}")
    if cue_class is not None and not 0 <= cue_class < count:
        raise ValueError(f"`cue_class` must be a class in [0, {count - 1}]. Received: cue_class={cue_class}")
    if min(train, validation, test) < 0 or size < 8:
        raise ValueError(
            "Counts must be >= 0 and size >= 8. Received: "
            f"train={train}, validation={validation}, test={test}, size={size}"
        )
    rng = np.random.default_rng(seed)
    splits = []
    for n in (train, validation, test):
        labels = np.arange(n) % count
        rng.shuffle(labels)
        cues = (
            (labels == cue_class) | (rng.random(n) < cue_rate) if cue_class is not None else np.zeros(n, bool)
        )
        images = (
            np.stack([draw_shape(int(k), size, rng, cue_kind if c else False) for k, c in zip(labels, cues)])
            if n
            else np.zeros((0, size, size, 3), "uint8")
        )
        splits.append((images, labels.astype("int64")))
    return tuple(splits)


def augment(images, seed=0, blur=1.2, brightness=50.0, contrast=0.7):
    """Photometric variants of `images`: blur, lower contrast, lifted blacks.

    A classifier trained on the shapes alone keys on their exact pixels:
    the demo's CNN drops from 94% to 16% on test images 20 levels brighter,
    and to 26% on images blurred by sigma 0.5, so it recognises almost no
    image a generator makes. Training it on these variants too makes it
    judge the shape, not the pixel values.

    Each image independently: with probability 0.6 a Gaussian blur of
    radius `U(0, blur)`; then its pixels scaled by `U(contrast, 1)`; then,
    with probability 0.7, raised by `U(0, brightness)`.

    Args:
        images: uint8 array `(N, h, w, c)`.
        seed: Int. Defaults to `0`.
        blur: Float, the largest blur radius (pixels). Defaults to `1.2`.
        brightness: Float, the largest offset (0-255 levels). Defaults to
            `50`.
        contrast: Float in `(0, 1]`, the smallest contrast factor. Defaults
            to `0.7`.

    Returns:
        uint8 array of the same shape.
    """
    rng = np.random.default_rng(seed)
    images = np.asarray(images, "uint8")
    count = len(images)
    radii = rng.uniform(0, blur, count) * (rng.random(count) < 0.6)
    out = np.empty(images.shape, "float32")
    for i, (image, radius) in enumerate(zip(images, radii)):
        if radius > 0:
            squeezed = image[..., 0] if image.shape[-1] == 1 else image
            blurred = Image.fromarray(squeezed).filter(ImageFilter.GaussianBlur(float(radius)))
            out[i] = np.asarray(blurred, "float32").reshape(image.shape)
        else:
            out[i] = image
    out *= rng.uniform(contrast, 1.0, (count, 1, 1, 1))
    out += rng.uniform(0, brightness, (count, 1, 1, 1)) * (rng.random((count, 1, 1, 1)) < 0.7)
    return np.clip(np.round(out), 0, 255).astype("uint8")
