"""Pictures for people: model inputs made viewable, heat maps, labelled rows.

- `displayable` turns images as a model takes them back into RGB 0-255.
- `heat_overlay` lays an attribution map over its image: magnitudes in a
  sequential heat map, signed maps in a diverging one (evidence for the
  target red, against it blue); `legend` explains the colours.
- `labelled_rows` builds a sheet of rows of tiles with captions, the form of
  the attribution and dataset-example PNGs and TensorBoard images.
"""

import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from keras_featviz.io.results import fit_text, resized, tile_size, to_pil, write_atomically
from keras_featviz.validation import positive_int

CAPTION_HEIGHT = 14

# Anchors of the heat colour map (dark purple, red, orange, pale yellow):
# a sequential map in which more is brighter, readable in gray print too.
_HEAT = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], "float32")
# ColorBrewer's RdBu from -1 (blue: against) through a pale neutral to +1
# (red: for); the sign reads from the hue, the strength from the depth.
_DIVERGING = np.array(
    [[5, 113, 176], [146, 197, 222], [247, 247, 247], [244, 165, 130], [202, 0, 32]], "float32"
)


def displayable(images, pixels=False):
    """RGB 0-255 uint8 images from images as a model takes them.

    Args:
        images: float array `(N, H, W, C)`.
        pixels: Bool, the images are already pixels 0-255 (a `preprocess`
            maps them for the model). Defaults to `False`.

    Returns:
        uint8 array `(N, H, W, C)`. Without `pixels`, values in `[0, 1]`
        are scaled by 255, values in `[-1, 1]` from `[-1, 1]`, values in
        `[0, 255]` kept, and any other range stretched per image from
        its lowest to its highest value (a caffe-style mean-subtracted
        input shows its colours shifted: pass pixels and `preprocess`
        to see it as it is).
    """
    images = np.asarray(images, "float32")
    if pixels:
        return np.clip(np.round(images), 0, 255).astype("uint8")
    low, high = float(np.min(images)), float(np.max(images))
    if low >= 0 and high <= 1:
        scaled = images * 255.0
    elif low >= -1 and high <= 1:
        scaled = (images + 1.0) * 127.5
    elif low >= 0 and high <= 255:
        scaled = images
    else:
        axes = tuple(range(1, images.ndim))
        lo, hi = images.min(axis=axes, keepdims=True), images.max(axis=axes, keepdims=True)
        scaled = (images - lo) / np.maximum(hi - lo, 1e-12) * 255.0
    return np.clip(np.round(scaled), 0, 255).astype("uint8")


def _ramp(anchors, position):
    """Colours `(..., 3)` at `position` in `[0, 1]` along evenly spaced `anchors`."""
    position = np.clip(position, 0.0, 1.0) * (len(anchors) - 1)
    low = np.minimum(position.astype("int64"), len(anchors) - 2)
    fraction = (position - low)[..., None]
    return anchors[low] * (1.0 - fraction) + anchors[low + 1] * fraction


def heat_colors(values):
    """Values in `[0, 1]` `(...)` as RGB colours `(..., 3)` of the heat map."""
    return _ramp(_HEAT, values)


def diverging_colors(values):
    """Values in `[-1, 1]` `(...)` as RGB colours `(..., 3)`: blue below 0, red above."""
    return _ramp(_DIVERGING, (np.asarray(values) + 1.0) / 2.0)


def normalized(attribution, signed=False):
    """A map `(H, W)` as it is drawn: scaled by the 99th percentile of its magnitude.

    Args:
        attribution: float array `(H, W)`.
        signed: Bool. `False`: the magnitude, in `[0, 1]`. `True`: the map
            with its sign, in `[-1, 1]`, so evidence against the target is
            told apart from evidence for it. Defaults to `False`.

    Returns:
        float32 array `(H, W)`.
    """
    values = np.nan_to_num(np.asarray(attribution, "float32"))
    top = float(np.percentile(np.abs(values), 99))
    if top <= 0:
        return np.zeros_like(values)
    return np.clip(values / top, -1.0, 1.0) if signed else np.clip(np.abs(values) / top, 0.0, 1.0)


def heat_overlay(image, attribution, signed=False, opacity=0.7):
    """`image` (uint8 `(H, W, C)`) with `attribution` (`(H, W)`) drawn over it.

    Where the map is strong its colour covers the image (up to `opacity`);
    where it is zero the image shows in gray, so the colour is only the
    map's. Unsigned maps use the heat map; signed ones the diverging map.

    Args:
        image: uint8 array `(H, W, C)`.
        attribution: float array `(H, W)`.
        signed: Bool, draw the sign (see `normalized`). Defaults to `False`.
        opacity: Float, the colour's weight where the map is strongest.
            Defaults to `0.7`.
    """
    values = normalized(attribution, signed)
    colours = diverging_colors(values) if signed else heat_colors(values)
    weight = np.abs(values)[..., None] * opacity
    rgb = image.astype("float32")
    rgb = rgb if rgb.shape[-1] == 3 else np.repeat(rgb[..., :1], 3, axis=-1)
    gray = np.repeat(rgb.mean(axis=-1, keepdims=True), 3, axis=-1)
    mixed = gray * (1.0 - weight) + colours * weight
    return np.clip(np.round(mixed), 0, 255).astype("uint8")


def legend(width, signed, unsigned):
    """A key to the map colours, one line a colour map in use, `width` pixels wide.

    Args:
        width: Int, the sheet's width.
        signed: Bool, explain the diverging map.
        unsigned: Bool, explain the heat map.

    Returns:
        A `PIL.Image.Image`, or `None` when neither map is in use.
    """
    keys = []
    if signed:
        keys.append(("against", diverging_colors(np.linspace(-1, 1, 64)), "for the target"))
    if unsigned:
        keys.append(("weak", heat_colors(np.linspace(0, 1, 64)), "strong (magnitude)"))
    if not keys:
        return None
    font = ImageFont.load_default()
    picture = Image.new("RGB", (width, CAPTION_HEIGHT * len(keys)), "white")
    draw = ImageDraw.Draw(picture)
    bar = max(min(width // 4, 64), 8)
    for n, (low, colours, high) in enumerate(keys):
        top = n * CAPTION_HEIGHT
        left = 2 + int(draw.textlength(low, font=font)) + 4
        draw.text((2, top + 1), low, fill="black", font=font)
        strip = np.repeat(colours[None].round().astype("uint8"), CAPTION_HEIGHT - 4, axis=0)
        picture.paste(Image.fromarray(strip).resize((bar, CAPTION_HEIGHT - 4)), (left, top + 2))
        right = left + bar + 4
        draw.text((right, top + 1), fit_text(high, width - right - 2, font), fill="black", font=font)
    return picture


def below(picture, footer):
    """`picture` with `footer` (or nothing, if `None`) pasted under it."""
    if footer is None:
        return picture
    joined = Image.new("RGB", (picture.width, picture.height + footer.height), "white")
    joined.paste(picture, (0, 0))
    joined.paste(footer, (0, picture.height))
    return joined


def labelled_rows(rows, captions, titles=None, tile=None, columns=None):
    """A sheet: each row a list of uint8 tiles, each tile with a caption.

    Args:
        rows: List of rows; each row a list of uint8 arrays `(H, W, C)` of
            one size.
        captions: List of rows of strings, one per tile.
        titles: Optional list of strings, one line above each row.
            Defaults to `None`.
        tile: Int or `None`, the longest side of a tile, as in
            `Visualization.grid` (`None`: enlarged by a whole factor to at
            least 128). Defaults to `None`.
        columns: Int or `None`: a row longer than this goes on in lines
            of at most this many tiles (TensorBoard's narrow cards, see
            `defaults.TENSORBOARD_COLUMNS`). Defaults to `None` (one line a
            row).

    Returns:
        A `PIL.Image.Image`.
    """
    height, width = rows[0][0].shape[:2]
    cell_w, cell_h = tile_size((height, width), tile)
    columns = columns or max(len(r) for r in rows)
    lines = [-(-len(row) // columns) for row in rows]
    title_h = CAPTION_HEIGHT if titles else 0
    line_h = cell_h + CAPTION_HEIGHT
    width_px = min(columns, max(len(r) for r in rows)) * cell_w
    sheet = Image.new("RGB", (width_px, sum(title_h + n * line_h for n in lines)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    top = 0
    for r, (row, texts) in enumerate(zip(rows, captions)):
        if titles:
            draw.text((2, top + 1), fit_text(titles[r], width_px - 4, font), fill="black", font=font)
        for c, (image, text) in enumerate(zip(row, texts)):
            x, y = (c % columns) * cell_w, top + title_h + (c // columns) * line_h
            sheet.paste(resized(to_pil(image).convert("RGB"), (cell_w, cell_h)), (x, y))
            draw.text((x + 2, y + cell_h + 1), fit_text(text, cell_w - 4, font), fill="black", font=font)
        top += title_h + lines[r] * line_h
    return sheet


def save_sheets(sheet, count, directory, stem, per_sheet):
    """Write `sheet(indices)` for rows of at most `per_sheet` into `directory`.

    Files: `{stem}.png`, or `{stem}_000.png`, ... when the rows need several
    sheets; each written under a temporary name and renamed.

    Returns:
        The list of paths written.
    """
    per_sheet = positive_int(per_sheet, "per_sheet")
    starts = range(0, count, per_sheet)
    paths = []
    for n, start in enumerate(starts):
        name = f"{stem}.png" if len(starts) == 1 else f"{stem}_{n:03d}.png"
        picture = sheet(range(start, min(start + per_sheet, count)))
        paths.append(os.path.join(os.fspath(directory), name))
        write_atomically(paths[-1], lambda path, picture=picture: picture.save(path, format="PNG"))
    return paths
