"""ImageNet class names, shipped with the package (no download).

The 1,000 classes in the order of Keras' `decode_predictions` and every
ImageNet-1k classifier, each named by the first word of its WordNet synset
("tench", "goldfish", "great white shark", ...), as `decode_predictions`
names them (with spaces for its underscores). Two synsets share a first
word twice ("crane" 134 and 517, "maillot" 638 and 639); tags and file
names add the index, so nothing collides.
"""

from functools import lru_cache
from importlib import resources

NUM_CLASSES = 1000


@lru_cache(maxsize=1)
def class_names():
    """The 1,000 ImageNet class names, a tuple indexed by class."""
    text = resources.files("keras_featviz").joinpath("resources/imagenet_classes.txt").read_text()
    names = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(names) != NUM_CLASSES:
        raise RuntimeError(f"The packaged ImageNet class list is damaged. Received: {len(names)} names")
    return names


def names_for(num_classes):
    """ImageNet's names for a classifier with 1,000 outputs, else `None`."""
    return list(class_names()) if num_classes == NUM_CLASSES else None


def resolve_names(class_names, num_classes):
    """`class_names` checked against `num_classes`; ImageNet's when absent and 1,000 classes.

    Raises:
        ValueError: if `class_names` does not name every class.
    """
    if class_names is None:
        return names_for(num_classes)
    if isinstance(class_names, (str, bytes)) or not (
        hasattr(class_names, "__len__") and hasattr(class_names, "__iter__")
    ):
        raise ValueError(
            f"`class_names` must be a list of strings, one per class. Received: class_names={class_names!r}"
        )
    if len(class_names) != num_classes:
        raise ValueError(
            f"`class_names` must name all {num_classes} classes. Received: {len(class_names)} class_names"
        )
    return list(class_names)
