"""Results of a visualization: images, activations, probabilities, files.

`Visualization` holds display-ready uint8 images and what the classifier made
of them, and writes them as PNGs and labelled grid sheets (pillow).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from keras_featviz.validation import positive_int

# Small images are enlarged (nearest neighbour) to at least this side in
# PNGs and grids, so a 32x32 class image can be seen; arrays keep their size.
MIN_SIDE = 128
# The list of files `Visualization.save` wrote into a folder, so a re-run
# replaces them and leaves everything else there alone.
WRITTEN_LIST = ".keras_featviz_files"
LABEL_HEIGHT = 26  # two lines: the label, then its score


def to_pil(image):
    """A `(h, w, c)` uint8 array as a PIL image (gray, RGB or RGBA)."""
    channels = image.shape[-1]
    if channels == 1:
        return Image.fromarray(image[..., 0], "L")
    if channels == 2:
        image = np.concatenate([image, np.zeros_like(image[..., :1])], axis=-1)
    if channels == 4:
        return Image.fromarray(image, "RGBA")
    return Image.fromarray(np.ascontiguousarray(image[..., :3]), "RGB")


def enlarged(picture, side=MIN_SIDE):
    """`picture` enlarged by the smallest whole factor that makes its
    shorter side at least `side` (nearest neighbour); as is if it is."""
    factor = -(-side // min(picture.size))
    if factor <= 1:
        return picture
    return picture.resize((picture.width * factor, picture.height * factor), Image.NEAREST)


def tile_size(shape, tile=None):
    """`(width, height)` of a tile of an image of `shape` `(h, w)` (see `Visualization.grid`)."""
    height, width = shape
    side = max(height, width)
    if tile is None:
        scale = max(1, -(-MIN_SIDE // side))
    elif side <= tile:
        scale = tile // side
    else:
        scale = tile / side
    return max(1, round(width * scale)), max(1, round(height * scale))


def resized(picture, size):
    """`picture` at `size`: sharp squares when enlarged, smoothed when shrunk."""
    if size == picture.size:
        return picture
    return picture.resize(size, Image.NEAREST if size[0] >= picture.width else Image.BILINEAR)


def write_atomically(path, write):
    """Call `write(temporary_path)`, then rename the file to `path`.

    Creates the folder of `path` if needed.

    A reader, or a run interrupted half-way, then sees the old file or
    the whole new one, never a truncated one.
    """
    directory, name = os.path.split(os.fspath(path))
    os.makedirs(directory or ".", exist_ok=True)
    stem, extension = os.path.splitext(name)
    # The extension stays last: Keras' `save` reads the format from it.
    temporary = os.path.join(directory, f".{stem}.partial-{os.getpid()}{extension}")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _list_files(path, names):
    with open(path, "w") as listing:
        listing.write("".join(f"{name}\n" for name in names))


def _written_before(directory):
    """The names an earlier `save` listed in `directory` (none if it never saved there)."""
    try:
        with open(os.path.join(directory, WRITTEN_LIST)) as listing:
            return [line.strip() for line in listing if line.strip()]
    except OSError:
        return []


def _check_not_theirs(directory, names):
    """Refuse to replace a file in `directory` that no earlier `save` wrote.

    Raises:
        FileExistsError: naming the first such file.
    """
    ours = set(_written_before(directory))
    for name in names:
        path = os.path.join(directory, name)
        if name not in ours and os.path.lexists(path):
            raise FileExistsError(
                f"{path!r} exists and keras-featviz did not write it: it is left alone. Save into "
                f"another folder, or move the file. Received: directory={os.fspath(directory)!r}"
            )


def _remove_stale(directory, keep):
    """Remove the files an earlier `save` listed in `directory` and `keep` lacks."""
    for name in _written_before(directory):
        # Only plain names this module writes: a listing cannot reach
        # outside the folder.
        if name not in keep and os.path.basename(name) == name and name.endswith(".png"):
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                os.remove(path)


# File systems allow 255 bytes a name; a stem of at most this many
# characters leaves room for the index, a suffix and the extension.
MAX_STEM = 80


def file_stem(name):
    """A file-name-safe form of an objective name, at most `MAX_STEM` characters.

    A longer name is cut and ends with 8 hex digits of its hash, so two
    long names that share their start still make two files; the label
    keeps the whole name.
    """
    stem = re.sub(r"[^A-Za-z0-9_.+-]+", "-", name).strip("-") or "target"
    if len(stem) <= MAX_STEM:
        return stem
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{stem[: MAX_STEM - 9]}-{digest}"


# The characters of a cut caption's start kept while its end is cut too.
KEPT_START = 5


def fit_text(text, width, font):
    """`text`, cut in the middle with an ellipsis where it would run into the next tile.

    Its start and its end stay, the end first: `block_10_expand_relu/channel_17`
    becomes `block...channel_17`, so two channels of one layer read apart.
    """
    if font.getlength(text) <= width:
        return text
    head, tail = text[: (len(text) + 1) // 2], text[(len(text) + 1) // 2 :]
    while (head or tail) and font.getlength(head + "..." + tail) > width:
        if len(head) > KEPT_START or not tail:
            head = head[:-1]  # the end names the channel or unit: it goes last
        else:
            tail = tail[1:]
    return head + "..." + tail


class Visualization:
    """Images that maximise each target, and the classifier's view of them.

    Attributes:
        images: uint8 array `(N, H, W, C)`: RGB, or gray for 1-channel
            classifiers.
        activations: float array `(N,)`, each target's objective value on
            its image, as the paper measures it: a class's logit through
            ReLU, so a class can read 0.0 while its probability is high
            (its logit is negative but the others' are lower still). Read
            `probabilities` for how sure the classifier is; a channel or
            unit reads its mean activation.
        probabilities: float array `(N, classes)`, the classifier's class
            probabilities on each image.
        names: list of `N` strings, the objectives' names (TensorBoard tags).
        labels: list of `N` strings shown under the images (class names when
            given).
        target_classes: int array `(N,)`, the class of single-class
            objectives, `-1` for the others.
    """

    def __init__(
        self,
        images: np.ndarray,
        activations: np.ndarray,
        probabilities: np.ndarray | None,
        names: Sequence[str],
        labels: Sequence[str],
        target_classes: Sequence[int | None],
    ) -> None:
        self.images = images
        self.activations = activations
        self.probabilities = probabilities
        self.names = list(names)
        self.labels = list(labels)
        self.target_classes = np.asarray(target_classes, "int64")

    def __len__(self):
        return len(self.names)

    @property
    def predicted_classes(self) -> np.ndarray | None:
        """int array `(N,)`: the class the classifier ranks first on each image.

        `-1` where the probabilities are not finite: no class was chosen.
        """
        if self.probabilities is None:
            return None
        finite = np.isfinite(self.probabilities).all(axis=1)
        return np.where(finite, np.argmax(np.nan_to_num(self.probabilities, nan=-1.0), axis=1), -1)

    @property
    def success_rate(self) -> float:
        """Share of single-class targets whose image the classifier ranks first.

        `nan` when no target is a single class.
        """
        mask = self.target_classes >= 0
        predicted = self.predicted_classes
        if predicted is None or not mask.any():
            return float("nan")
        return float(np.mean(predicted[mask] == self.target_classes[mask]))

    def _caption(self, i):
        target = self.target_classes[i]
        if target >= 0:
            return self.labels[i], f"p={self.probabilities[i, target]:.2f}"
        return self.labels[i], f"a={self.activations[i]:.3g}"

    def grid(
        self,
        indices: Sequence[int] | None = None,
        columns: int | None = None,
        tile: int | None = None,
        labels: bool = True,
    ) -> Image.Image:
        """A labelled grid sheet of the images.

        Args:
            indices: Which images, in order; all by default. Defaults to
                `None`.
            columns: Int, images per row; about the square root of the count
                by default. Defaults to `None`.
            tile: Int or `None`: the longest side of each tile in pixels;
                smaller images are enlarged by the largest whole factor
                that fits it (nearest neighbour), larger ones shrunk to it.
                `None`: enlarged by a whole factor to at least 128, never
                shrunk. Defaults to `None`.
            labels: Bool, whether to write the name and the target's
                probability under each image. Defaults to `True`.

        Returns:
            A `PIL.Image.Image`.
        """
        indices = list(range(len(self))) if indices is None else list(indices)
        count = max(len(indices), 1)
        columns = columns or int(np.ceil(np.sqrt(count)))
        rows = int(np.ceil(count / columns))
        height, width = self.images.shape[1:3]
        cell_w, cell_h = tile_size((height, width), tile)
        label_h = LABEL_HEIGHT if labels else 0
        sheet = Image.new("RGB", (columns * cell_w, rows * (cell_h + label_h)), "white")
        draw = ImageDraw.Draw(sheet)
        font = ImageFont.load_default()
        for n, i in enumerate(indices):
            x, y = (n % columns) * cell_w, (n // columns) * (cell_h + label_h)
            tile_image = to_pil(self.images[i]).convert("RGB")
            sheet.paste(resized(tile_image, (cell_w, cell_h)), (x, y))
            if labels:
                for line, text in enumerate(self._caption(i)):
                    text = fit_text(text, cell_w - 4, font)
                    draw.text((x + 2, y + cell_h + 1 + 12 * line), text, fill="black", font=font)
        return sheet

    def grids(self, per_sheet: int = 100, **kwargs) -> list[Image.Image]:
        """Grid sheets of at most `per_sheet` images each (the paper's sheets).

        Returns:
            A list of `PIL.Image.Image`.
        """
        per_sheet = positive_int(per_sheet, "per_sheet")
        return [
            self.grid(range(start, min(start + per_sheet, len(self))), **kwargs)
            for start in range(0, len(self), per_sheet)
        ]

    def file_names(self) -> list[str]:
        """The PNG name of each target: `{index:03d}_{label}.png`.

        The index is the class for a single-class target (`281_tabby.png`)
        and the position in the list for the others.
        """
        names, seen = [], set()
        for i, label in enumerate(self.labels):
            index = self.target_classes[i] if self.target_classes[i] >= 0 else i
            name = f"{index:03d}_{file_stem(label)}"
            # The same target twice keeps both images: the second one's file gets a suffix.
            count = 1
            while (name if count == 1 else f"{name}-{count}") in seen:
                count += 1
            name = name if count == 1 else f"{name}-{count}"
            seen.add(name)
            names.append(f"{name}.png")
        return names

    def save(self, directory: str | os.PathLike, per_sheet: int = 100) -> list[str]:
        """Write one PNG per target and labelled grid sheets into `directory`.

        Files: `file_names()` per target and `grid.png` (or `grid_000.png`,
        ... beyond `per_sheet` images). Images smaller than 128 pixels a
        side are enlarged by a whole factor (nearest neighbour), so each
        pixel stays a sharp square. Every file is written under a
        temporary name and then renamed, so an interrupted save leaves no
        truncated PNG. A save into a folder this method wrote before
        removes the files that run wrote and this one does not (a run with
        fewer targets leaves no stale images); other files are left alone,
        and a file of the same name that it did not write (your own
        `grid.png`) stops the save before anything is written.

        Args:
            directory: Path of the folder, created if needed.
            per_sheet: Int, images per grid sheet. Defaults to `100`.

        Returns:
            The list of paths written.

        Raises:
            FileExistsError: if a file to be written exists and no earlier
                `save` wrote it.
        """
        os.makedirs(directory, exist_ok=True)
        pictures = {name: enlarged(to_pil(image)) for name, image in zip(self.file_names(), self.images)}
        sheets = self.grids(per_sheet)
        for n, sheet in enumerate(sheets):
            pictures["grid.png" if len(sheets) == 1 else f"grid_{n:03d}.png"] = sheet
        _check_not_theirs(directory, pictures)
        _remove_stale(directory, set(pictures))
        paths = []
        for name, picture in pictures.items():
            paths.append(os.path.join(directory, name))
            write_atomically(paths[-1], lambda path, picture=picture: picture.save(path, format="PNG"))
        write_atomically(os.path.join(directory, WRITTEN_LIST), lambda path: _list_files(path, pictures))
        return paths

    def __repr__(self):
        return (
            f"<Visualization of {len(self)} targets, images {self.images.shape}, "
            f"success rate {self.success_rate:.2f}>"
        )
