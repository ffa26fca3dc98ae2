"""Argument rules shared by the library and the CLI, each written once.

Every rule raises a `ValueError` in Keras' style: the rule, then
`Received: name=value`. The CLI turns the same errors into one line and
exit status 2, so a rule and its message exist in one place only.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
from typing import Any

import numpy as np

WRITE_CHECK_FILE = ".keras_featviz_write_check"


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def positive_int(value, name):
    """`value` as an int if it is an integer >= 1.

    Raises:
        ValueError: for anything else, `True` and `False` included.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={value!r}")
    return int(value)


# Seeds every backend takes, with room for the offsets the generators add
# to seed each layer apart (JAX keys and NumPy both take 0 to 2**32 - 1).
MAX_SEED = 2**31 - 1


def plain_scalar(value: Any) -> Any:
    """A 0-d array or NumPy scalar as the Python number it holds; anything else as is."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return value.item()
    return value


def random_seed(value, name="seed"):
    """`value` as a Python int seed, or `None` (random).

    Takes Python and NumPy integers and 0-d integer arrays.

    Raises:
        ValueError: for anything else, `True`/`False`, or an integer
            outside `[0, 2**31 - 1]`.
    """
    if value is None:
        return None
    value = plain_scalar(value)
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 0 <= value <= MAX_SEED:
        raise ValueError(
            f"`{name}` must be None or an integer from 0 to {MAX_SEED}. Received: {name}={value!r}"
        )
    return int(value)


def number(value, name, minimum=None, inclusive=True, optional=False, maximum=None):
    """`value` as a finite float, at least (or above) `minimum`, at most `maximum`.

    Args:
        value: The value to check.
        name: Its argument name, for the message.
        minimum: Float or `None`, the lower bound. Defaults to `None`.
        inclusive: Bool, whether `minimum` itself is allowed. Defaults to
            `True`.
        optional: Bool, whether `None` is allowed (and returned). Defaults
            to `False`.
        maximum: Float or `None`, the upper bound, allowed itself.
            Defaults to `None`.

    Raises:
        ValueError: for a non-number, `True`/`False`, NaN, infinity or a
            value below the bound.
    """
    if optional and value is None:
        return None
    if minimum is not None and maximum is not None:
        rule = f"a number in {'[' if inclusive else '('}{minimum:g}, {maximum:g}]"
    elif minimum is not None:
        rule = f"a finite number {'>=' if inclusive else '>'} {minimum:g}"
    elif maximum is not None:
        rule = f"a finite number <= {maximum:g}"
    else:
        rule = "a finite number"
    if optional:
        rule += " or None"
    ok = _is_number(value) and math.isfinite(value)
    if ok and minimum is not None:
        ok = value >= minimum if inclusive else value > minimum
    if ok and maximum is not None:
        ok = value <= maximum
    if not ok:
        raise ValueError(f"`{name}` must be {rule}. Received: {name}={value!r}")
    return float(value)


def one_of(value, name, choices):
    """`value` if it is one of `choices`.

    Raises:
        ValueError: otherwise, listing the choices.
    """
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {list(choices)}. Received: {name}={value!r}")
    return value


def boolean(value, name):
    """`value` as a Python bool, if it is `True` or `False` (NumPy's too).

    A string such as `"no"` would otherwise read as true.

    Raises:
        ValueError: otherwise.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"`{name}` must be True or False. Received: {name}={value!r}")


VERBOSITIES = ("auto", 0, 1, 2)


def verbosity(value, name="verbose"):
    """Keras' `verbose` setting, `"auto"` resolved: the progress bar (1) on a
    terminal, one line an epoch (2) otherwise, so that a log file gets no
    bar redrawn a hundred times with terminal codes.

    Raises:
        ValueError: for anything but `"auto"`, 0, 1 or 2.
    """
    if isinstance(value, bool) or value not in VERBOSITIES:
        raise ValueError(f"`{name}` must be one of {list(VERBOSITIES)}. Received: {name}={value!r}")
    if value == "auto":
        return 1 if sys.stdout.isatty() else 2
    return value


def non_finite_images(images):
    """A bool array, one per image of the float array `images`: True where it holds NaN or infinity."""
    array = np.asarray(images)
    if array.dtype.kind != "f":
        return np.zeros(len(array), bool)
    return ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)


def finite_images(images, name="images"):
    """`images` (an array) if every value is finite.

    A NaN pixel would train a network to a NaN loss, or rank first among
    dataset examples, without a word.

    Raises:
        ValueError: naming how many images hold NaN or infinity.
    """
    bad = non_finite_images(images)
    if bad.any():
        raise ValueError(
            f"`{name}` must hold finite pixel values. Received: {name} with NaN or infinity in "
            f"{int(bad.sum())} of {len(bad)} images (the first at index {int(np.argmax(bad))})"
        )
    return images


def run_name(value, name="run_name"):
    """`value` if it names a folder inside the log folder.

    An absolute path, or one that climbs out with `..`, would write event
    files outside `log_dir`.

    Raises:
        ValueError: otherwise.
    """
    parts = value.replace("\\", "/").split("/") if isinstance(value, str) else []
    if not isinstance(value, str) or not value or os.path.isabs(value) or ".." in parts:
        raise ValueError(
            f"`{name}` must be a non-empty folder name inside `log_dir`, without '..'. "
            f"Received: {name}={value!r}"
        )
    return value


def directory_path(value, name, optional=False):
    """`value` as a path string, `None` if `optional` and absent.

    Raises:
        ValueError: for an empty or non-path value.
    """
    if optional and value is None:
        return None
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise ValueError(f"`{name}` must be a directory path. Received: {name}={value!r}")
    return os.fspath(value)


def writable_directory(directory, name="log_dir", create=True):
    """Check that files can be made in `directory`, creating it if asked.

    Args:
        directory: The folder path.
        name: String, the argument's name in the message. Defaults to
            `"log_dir"`.
        create: Bool: create the folder now and write a probe file in it
            (`True`), or only check that it, or the nearest folder above it
            that exists, is a writable folder, leaving nothing behind
            (`False`, for a check long before the first file is written).
            Defaults to `True`.

    Returns:
        The directory as a string.

    Raises:
        ValueError: if it cannot be created or written to (an existing
            file of that name, say).
    """
    directory = os.fspath(directory)
    if not create:
        _check_reachable(directory, name)
        return directory
    try:
        os.makedirs(directory, exist_ok=True)
        probe = os.path.join(directory, WRITE_CHECK_FILE)
        with open(probe, "w") as handle:
            handle.write("")
        os.remove(probe)
    except OSError as error:
        raise ValueError(
            f"Cannot write files in {directory!r} ({error.strerror or error}). Received: {name}={directory!r}"
        ) from error
    return directory


def _check_reachable(directory, name):
    """The check of `writable_directory(create=False)`."""
    existing = os.path.abspath(directory)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        reason = "File exists" if existing == os.path.abspath(directory) else f"{existing!r} is a file"
    elif not os.access(existing, os.W_OK | os.X_OK):
        reason = "Permission denied"
    else:
        return
    raise ValueError(f"Cannot write files in {directory!r} ({reason}). Received: {name}={directory!r}")


def writable_file(path, name, extension=None):
    """Check, before any long work, that a file can be written at `path`.

    Creates nothing: its folder, or the nearest one above that exists, must
    be a writable folder. An existing file at `path` is allowed (it will be
    replaced), an existing folder is not.

    Returns:
        The path as a string.

    Raises:
        ValueError: if `path` lacks `extension`, names a folder, or its
            folder cannot be created or written to.
    """
    path = directory_path(path, name)
    if extension is not None and not path.endswith(extension):
        raise ValueError(f"`{name}` must name a {extension} file. Received: {name}={path!r}")
    if os.path.isdir(path):
        raise ValueError(f"`{name}` must name a file, not a folder. Received: {name}={path!r}")
    writable_directory(os.path.dirname(path) or ".", name, create=False)
    return path


def shard_spec(value, name="shard"):
    """`(index, count)` from `(i, n)` or the text `"i/n"`, with `0 <= i < n`.

    Raises:
        ValueError: for anything else.
    """
    shard = value
    if isinstance(shard, str):
        parts = shard.split("/")
        try:
            shard = tuple(int(part) for part in parts) if len(parts) == 2 else None
        except ValueError:
            shard = None
    shard = [plain_scalar(v) for v in shard] if isinstance(shard, (tuple, list)) else shard
    if not (
        isinstance(shard, list)
        and len(shard) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in shard)
        and 0 <= shard[0] < shard[1]
    ):
        raise ValueError(
            f"`{name}` must be (index, count) or 'index/count' with 0 <= index < count, "
            f"such as '0/4'. Received: {name}={value!r}"
        )
    return int(shard[0]), int(shard[1])
