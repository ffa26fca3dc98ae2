"""The synthetic shapes dataset, made on the fly so the package runs with no
download (after seed 004): six shapes x three fill styles (single line,
double line, filled) = 18 classes, in random colours, positions, sizes and
rotations. One class may carry a planted cue, a small marker that appears
with every image of that class and rarely elsewhere, so users can watch a
visualization reveal a learnt bias (Despraz et al., section 5.1).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SHAPES = ("circle", "triangle", "square", "pentagon", "star", "cross")
FILLS = ("line", "double", "filled")
CLASS_NAMES = tuple(f"{shape}_{fill}" for shape in SHAPES for fill in FILLS)
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
