"""Every default is defined once, in `keras_featviz.defaults`, and used."""

import re
from pathlib import Path

from keras_featviz import defaults

PACKAGE = Path(__file__).resolve().parent.parent / "keras_featviz"


def test_every_default_is_read_somewhere_in_the_package():
    sources = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py") if p.name != "defaults.py")
    names = [n for n in vars(defaults) if re.fullmatch(r"[A-Z][A-Z0-9_]*", n)]
    unused = [n for n in names if f"defaults.{n}" not in sources]
    assert not unused, unused


def test_the_library_and_the_command_line_seeds_are_integers_or_none():
    from keras_featviz.validation import random_seed

    for name in ("SEED", "CALLBACK_SEED", "COMMAND_SEED"):
        assert random_seed(getattr(defaults, name)) == getattr(defaults, name)
