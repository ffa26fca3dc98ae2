"""Argument checks shared by the public entry points, in Keras' error style."""

import numbers
import os


def positive_int(value, name):
    """`value` as an int if it is an integer >= 1, else a `ValueError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={value!r}")
    return int(value)


def directory_path(value, name, optional=False):
    """`value` as a path string, `None` if `optional` and absent."""
    if optional and value is None:
        return None
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise ValueError(f"`{name}` must be a directory path. Received: {name}={value!r}")
    return os.fspath(value)
