"""`keras-featviz demo`: the whole method on data the package makes itself."""

from keras_featviz import defaults
from keras_featviz.cli.common import MAX_SIDE, SEED_HELP, positive_type, seed_type, side_type


def demo(args):
    from keras_featviz.demo import run_demo

    run_demo(
        out=args.out,
        size=args.size,
        classes=args.classes,
        train=args.train,
        epochs=args.epochs,
        dae_epochs=args.dae_epochs,
        steps=args.steps,
        callback_steps=args.callback_steps,
        cue_class=args.cue_class,
        seed=args.seed,
        augmented=not args.no_augment,
    )
    return 0


def add_parser(commands):
    """The `demo` command's arguments."""
    run = commands.add_parser("demo", help="train a shapes classifier and visualize every class")
    run.add_argument("--out", default="featviz-demo", help="output folder (default: featviz-demo)")
    run.add_argument(
        "--size",
        type=side_type,
        default=defaults.DEMO_SIDE,
        help=f"image side, 8 to {MAX_SIDE} (default: {defaults.DEMO_SIDE})",
    )
    run.add_argument(
        "--classes",
        type=positive_type("--classes"),
        default=defaults.DEMO_CLASSES,
        help=f"number of shape classes, up to 18 (default: {defaults.DEMO_CLASSES})",
    )
    run.add_argument(
        "--train",
        type=positive_type("--train"),
        default=defaults.DEMO_TRAIN,
        help=f"training images (default: {defaults.DEMO_TRAIN})",
    )
    run.add_argument(
        "--epochs",
        type=positive_type("--epochs"),
        default=defaults.DEMO_EPOCHS,
        help=f"classifier epochs (default: {defaults.DEMO_EPOCHS})",
    )
    run.add_argument(
        "--no-augment",
        action="store_true",
        help="train the classifier on the plain shapes only, without blurred, dimmed and brightened copies",
    )
    run.add_argument(
        "--dae-epochs",
        type=positive_type("--dae-epochs"),
        default=defaults.DEMO_DAE_EPOCHS,
        help=f"autoencoder epochs (default: {defaults.DEMO_DAE_EPOCHS})",
    )
    run.add_argument(
        "--steps",
        type=positive_type("--steps"),
        default=defaults.DEMO_STEPS,
        help=f"optimisation steps per target (default: {defaults.DEMO_STEPS})",
    )
    run.add_argument(
        "--callback-steps",
        type=positive_type("--callback-steps"),
        default=defaults.CALLBACK_STEPS,
        help="most steps per epoch of the training callback, which keeps within a "
        f"tenth of training (default: {defaults.CALLBACK_STEPS})",
    )
    run.add_argument(
        "--cue-class",
        type=int,
        default=defaults.DEMO_CUE_CLASS,
        help=f"class with the planted cue (default: {defaults.DEMO_CUE_CLASS})",
    )
    run.add_argument("--seed", type=seed_type, default=defaults.COMMAND_SEED, help=SEED_HELP)
    run.set_defaults(handler=demo)
