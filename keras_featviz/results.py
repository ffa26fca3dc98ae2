"""Results of a visualization: images, activations, probabilities, files.

`Visualization` holds display-ready uint8 images and what the classifier made
of them, and writes them as PNGs and labelled grid sheets (pillow).
"""

import os
import re

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from keras_featviz.validation import positive_int

MIN_TILE = 96
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


def file_stem(name):
    """A file-name-safe form of an objective name."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", name).strip("-") or "target"


def _fit(text, width, font):
    """`text`, cut with an ellipsis where it would run into the next tile."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "...") > width:
        text = text[:-1]
    return text + "..."


class Visualization:
    """Images that maximise each target, and the classifier's view of them.

    Attributes:
        images: uint8 array `(N, H, W, C)`: RGB, or gray for 1-channel
            classifiers.
        activations: float array `(N,)`, each target's objective value on
            its image (class outputs through ReLU, as in the paper).
        probabilities: float array `(N, classes)`, the classifier's class
            probabilities on each image.
        names: list of `N` strings, the objectives' names (TensorBoard tags).
        labels: list of `N` strings shown under the images (class names when
            given).
        target_classes: int array `(N,)`, the class of single-class
            objectives, `-1` for the others.
    """

    def __init__(self, images, activations, probabilities, names, labels, target_classes):
        self.images = images
        self.activations = activations
        self.probabilities = probabilities
        self.names = list(names)
        self.labels = list(labels)
        self.target_classes = np.asarray(target_classes, "int64")

    def __len__(self):
        return len(self.names)

    @property
    def predicted_classes(self):
        """int array `(N,)`: the class the classifier ranks first on each image."""
        return np.argmax(self.probabilities, axis=1)

    @property
    def success_rate(self):
        """Share of single-class targets whose image the classifier ranks first.

        `nan` when no target is a single class.
        """
        mask = self.target_classes >= 0
        if not mask.any():
            return float("nan")
        return float(np.mean(self.predicted_classes[mask] == self.target_classes[mask]))

    def _caption(self, i):
        target = self.target_classes[i]
        if target >= 0:
            return self.labels[i], f"p={self.probabilities[i, target]:.2f}"
        return self.labels[i], f"a={self.activations[i]:.3g}"

    def grid(
        self, indices=None, columns: int | None = None, tile: int | None = None, labels: bool = True
    ) -> Image.Image:
        """A labelled grid sheet of the images.

        Args:
            indices: Which images, in order; all by default. Defaults to
                `None`.
            columns: Int, images per row; about the square root of the count
                by default. Defaults to `None`.
            tile: Int, side of each tile in pixels; small images are enlarged
                (nearest neighbour) to at least 96. Defaults to `None`.
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
        scale = max(1, int(np.ceil((tile or MIN_TILE) / max(height, width))))
        cell_w, cell_h = width * scale, height * scale
        label_h = LABEL_HEIGHT if labels else 0
        sheet = Image.new("RGB", (columns * cell_w, rows * (cell_h + label_h)), "white")
        draw = ImageDraw.Draw(sheet)
        font = ImageFont.load_default()
        for n, i in enumerate(indices):
            x, y = (n % columns) * cell_w, (n // columns) * (cell_h + label_h)
            tile_image = to_pil(self.images[i]).convert("RGB")
            sheet.paste(tile_image.resize((cell_w, cell_h), Image.NEAREST), (x, y))
            if labels:
                for line, text in enumerate(self._caption(i)):
                    text = _fit(text, cell_w - 4, font)
                    draw.text((x + 2, y + cell_h + 1 + 12 * line), text, fill="black", font=font)
        return sheet

    def grids(self, per_sheet=100, **kwargs):
        """Grid sheets of at most `per_sheet` images each (the paper's sheets).

        Returns:
            A list of `PIL.Image.Image`.
        """
        per_sheet = positive_int(per_sheet, "per_sheet")
        return [
            self.grid(range(start, min(start + per_sheet, len(self))), **kwargs)
            for start in range(0, len(self), per_sheet)
        ]

    def file_names(self):
        """The PNG name of each target: `{index:03d}_{label}.png`.

        The index is the class for a single-class target (`281_tabby.png`)
        and the position in the list for the others.
        """
        names = []
        for i, label in enumerate(self.labels):
            index = self.target_classes[i] if self.target_classes[i] >= 0 else i
            names.append(f"{index:03d}_{file_stem(label)}.png")
        return names

    def save(self, directory: str | os.PathLike, per_sheet: int = 100) -> list[str]:
        """Write one PNG per target and labelled grid sheets into `directory`.

        Files: `file_names()` per target and `grid.png` (or `grid_000.png`,
        ... beyond `per_sheet` images). Existing files of other names are
        left alone.

        Args:
            directory: Path of the folder, created if needed.
            per_sheet: Int, images per grid sheet. Defaults to `100`.

        Returns:
            The list of paths written.
        """
        os.makedirs(directory, exist_ok=True)
        paths = []
        for i, name in enumerate(self.file_names()):
            path = os.path.join(directory, name)
            to_pil(self.images[i]).save(path)
            paths.append(path)
        sheets = self.grids(per_sheet)
        for n, sheet in enumerate(sheets):
            stem = "grid" if len(sheets) == 1 else f"grid_{n:03d}"
            path = os.path.join(directory, f"{stem}.png")
            sheet.save(path)
            paths.append(path)
        return paths

    def __repr__(self):
        return (
            f"<Visualization of {len(self)} targets, images {self.images.shape}, "
            f"success rate {self.success_rate:.2f}>"
        )
