"""The `keras-featviz` parser, the checks made before Keras loads, and `main`."""

import argparse
import os
import sys

from keras_featviz import __version__, validation
from keras_featviz.cli import atlas, attribute, demo, examples, layers, train_dae, visualize
from keras_featviz.cli.common import CommandError, check_data_path, check_model_spec


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-featviz",
        description="See what a Keras image classifier has learnt (Despraz et al.).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in (demo, visualize, atlas, layers, train_dae, attribute, examples):
        command.add_parser(commands)
    return parser


def _quiet_backend():
    """Load TensorFlow, when it is the backend, without its C++ log lines.

    TensorFlow writes CUDA and absl lines (`cuInit`, `absl::InitializeLog`)
    to the process's stderr while it loads, whatever Python's logging says;
    a command's stderr should hold its own messages only.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        from keras_featviz.io.tensorboard import import_tensorflow

        try:
            import_tensorflow(quiet=True)
        except ImportError:
            pass  # Keras names the missing backend itself when it loads


def _early_checks(args):
    """The checks that need no Keras, made before it loads: a typo is told
    at once, not after the seconds that importing TensorFlow takes."""
    if getattr(args, "model", None) is not None:
        check_model_spec(args.model)
    if args.command == "demo":
        try:
            validation.writable_directory(args.out, "--out", create=False)
        except ValueError as error:
            raise CommandError(str(error)) from None
    if args.command == "atlas" and args.shard is not None:
        try:
            validation.shard_spec(args.shard, "--shard")
        except ValueError as error:
            raise CommandError(str(error)) from None
    if args.command == "attribute":
        check_data_path(args.images, "IMAGES")
    if args.command == "examples":
        check_data_path(args.data, "DATA")


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        _early_checks(args)
    except CommandError as error:
        print(f"keras-featviz {args.command}: error: {error}", file=sys.stderr)
        return 2
    _quiet_backend()
    if args.command == "demo" and not (1 <= args.classes <= 18 and 0 <= args.cue_class < args.classes):
        print(
            f"keras-featviz: error: --classes must be 1-18 and --cue-class one of them "
            f"(got --classes {args.classes} --cue-class {args.cue_class})",
            file=sys.stderr,
        )
        return 2
    try:
        return args.handler(args)
    except CommandError as error:
        print(f"keras-featviz {args.command}: error: {error}", file=sys.stderr)
        return 2
