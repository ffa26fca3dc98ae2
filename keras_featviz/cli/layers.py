"""`keras-featviz layers MODEL`: the layers `--layer` can take, with their channels."""

from keras_featviz.cli.common import load_classifier


def layers(args):
    """Print the layers one can target: name, output shape, channels, activation."""
    from keras_featviz.surgery import target_layers

    model, _ = load_classifier(args.model, args.weights)
    rows = target_layers(model)
    width = max(len(row["name"]) for row in rows)
    print(f"{'layer':<{width}}  {'output':<20}{'channels':>9}  activation")
    for row in rows:
        shape = "x".join("?" if d is None else str(d) for d in row["shape"])
        print(f"{row['name']:<{width}}  {shape:<20}{row['channels']:>9}  {row['activation'] or '-'}")
    print(
        f"{len(rows)} layers. Target one with: keras-featviz visualize {args.model} --layer NAME "
        f"[--channels 0-15] [--pre-activation]"
    )
    return 0


def add_parser(commands):
    """The `layers` command's arguments."""
    listing = commands.add_parser(
        "layers",
        help="list the layers of a model that --layer can target, with their channels",
        description="List the layers of MODEL (a saved .keras file or a keras.applications name) "
        "whose filters `visualize --layer` can target: name, output shape, channel count and "
        "activation (a fused ReLU can be read before it with --pre-activation).",
    )
    listing.add_argument("model", help="a .keras file or a keras.applications name such as vgg16")
    listing.add_argument(
        "--weights",
        default="none",
        choices=["imagenet", "none"],
        help="weights of a keras.applications model; the layers are the same (default: none)",
    )
    listing.set_defaults(handler=layers)
