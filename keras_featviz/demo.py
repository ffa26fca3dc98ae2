"""The embedded default: a shapes classifier, its autoencoder, the whole method.

`run_demo` is what `keras-featviz demo` runs on data the package draws
itself: it trains a small CNN on the synthetic shapes, one class carrying a
planted cue, with `FeatureVisualizationCallback` and Keras' `TensorBoard`
attached; pretrains a denoising autoencoder on the same images; visualizes
every class with both generators; and checks whether the images show the
planted cue. The builders are public, so examples and benchmarks use the
same classifier.
"""

import dataclasses
import os
import time

import keras
import numpy as np

from keras_featviz import defaults
from keras_featviz.callbacks import FeatureVisualizationCallback
from keras_featviz.config import VisualizerConfig
from keras_featviz.io.results import Visualization, write_atomically
from keras_featviz.io.tensorboard import EventWriter, log_visualization, quiet_retracing
from keras_featviz.makers.autoencoder import DenoisingAutoencoder
from keras_featviz.shapes import (
    CLASS_NAMES,
    CUE_COLOURS,
    CUE_KINDS,
    STRIPE_PERIOD,
    augment,
    cue_box,
    shapes_data,
)
from keras_featviz.visualizer import FeatureVisualizer


def shapes_classifier(size=defaults.DEMO_SIDE, classes=defaults.DEMO_CLASSES, name="shapes_cnn"):
    """The demo's CNN: three conv-BN-ReLU-pool blocks, global pooling, softmax.

    Args:
        size: Int, image side. Defaults to `defaults.DEMO_SIDE`.
        classes: Int, number of classes. Defaults to `defaults.DEMO_CLASSES`.
        name: String, the model's name. Defaults to `"shapes_cnn"`.

    Returns:
        An uncompiled `keras.Sequential` taking RGB 0-255 images.
    """

    def block(filters, index):
        return [
            keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{index}"),
            keras.layers.BatchNormalization(name=f"bn{index}"),
            keras.layers.ReLU(name=f"relu{index}"),
            keras.layers.MaxPooling2D(name=f"pool{index}"),
        ]

    return keras.Sequential(
        [keras.Input((size, size, 3)), keras.layers.Rescaling(1 / 255.0, name="rescale")]
        + block(32, 1)
        + block(64, 2)
        + block(96, 3)
        + [
            keras.layers.GlobalAveragePooling2D(name="gap"),
            keras.layers.Dropout(0.2, name="dropout"),
            keras.layers.Dense(classes, activation="softmax", name="predictions"),
        ],
        name=name,
    )


def train_shapes_classifier(
    size=defaults.DEMO_SIDE,
    classes=defaults.DEMO_CLASSES,
    train=defaults.DEMO_TRAIN,
    epochs=defaults.DEMO_EPOCHS,
    seed=defaults.COMMAND_SEED,
    cue_class=defaults.DEMO_CUE_CLASS,
    augmented=True,
    callbacks=None,
    verbose=2,
    cue_kind="square",
):
    """Train `shapes_classifier` on freshly drawn shapes.

    Args:
        size, classes, train, seed, cue_class, cue_kind: As in `shapes_data`.
        epochs: Int. Defaults to `defaults.DEMO_EPOCHS`.
        augmented: Bool, train on a blurred, dimmed or brightened copy of
            each image too (`shapes.augment`). A CNN trained on the exact
            shapes alone keys on their exact pixel values (94% accuracy
            falls to 16% at +20 brightness), so it recognises almost no
            generated image. Defaults to `True`.
        callbacks: List of Keras callbacks for `fit`. Defaults to `None`.
        verbose: As in `fit`. Defaults to `2`.

    Returns:
        `(model, (x_train, y_train))`, the images without augmentation.
    """
    (x, y), (x_val, y_val), _ = shapes_data(
        train=train,
        validation=max(train // 10, 1),
        test=0,
        size=size,
        seed=seed,
        cue_class=cue_class,
        classes=classes,
        cue_kind=cue_kind,
    )
    x_fit, y_fit = x, y
    if augmented:
        x_fit, y_fit = np.concatenate([x, augment(x, seed=seed)]), np.concatenate([y, y])
    keras.utils.set_random_seed(seed)
    model = shapes_classifier(size, classes)
    model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(
        x_fit,
        y_fit,
        epochs=epochs,
        batch_size=64,
        validation_data=(x_val, y_val),
        verbose=verbose,
        callbacks=list(callbacks or []),
    )
    return model, (x, y)


def train_shapes_autoencoder(
    images, size, epochs=defaults.DEMO_DAE_EPOCHS, width=0.25, seed=defaults.COMMAND_SEED, verbose=2
):
    """A `DenoisingAutoencoder` trained on the shapes images (Adam 3e-3, batch 32)."""
    dae = DenoisingAutoencoder((size, size, 3), width=width, seed=seed)
    dae.compile(optimizer=keras.optimizers.Adam(3e-3))
    dae.fit_images(images, epochs=epochs, batch_size=32, validation_split=0, verbose=verbose)
    return dae


def cue_contrasts(images, references, kind="square"):
    """How much more each of `images` shows a planted cue than `references` do.

    Args:
        images: uint8 array `(N, size, size, 3)`, the cue class's images.
        references: uint8 array `(M, size, size, 3)`, other classes' images.
        kind: One of `shapes.CUE_KINDS`. Defaults to `"square"`.

    Returns:
        float array `(N,)`: each image's `cue_scores` minus the references'
        mean. For the square, how much brighter (0 to 1) the top-left corner
        is than on average in the references.
    """
    return cue_scores(images, kind) - cue_scores(references, kind).mean()


def cue_contrast(result, cue_class):
    """How much brighter the cue corner is in the cue class's image of `result`.

    Returns the mean brightness (0-1) of the planted square's corner in the
    cue class's image minus its mean over the other classes' images.
    """
    others = np.delete(result.images, cue_class, axis=0)
    return float(cue_contrasts(result.images[cue_class : cue_class + 1], others)[0])


def colour_likeness(pixels, colour):
    """How close each pixel is to a colour.

    Args:
        pixels: uint8 array `(..., 3)`.
        colour: RGB triple, 0-255.

    Returns:
        float array of `pixels`' shape without the channels: 1 at `colour`,
        falling linearly to 0 at the farthest RGB colour.
    """
    distance = np.linalg.norm(pixels.astype("float32") - np.asarray(colour, "float32"), axis=-1)
    return np.clip(1.0 - distance / (255.0 * np.sqrt(3.0)), 0.0, 1.0)


def cue_scores(images, kind):
    """How strongly each image shows a planted cue of `kind` (`shapes.CUE_KINDS`).

    Args:
        images: uint8 array `(N, size, size, 3)`.
        kind: One of `shapes.CUE_KINDS`.

    Returns:
        float array `(N,)`: for `"square"` the brightness (0-1) of the top
        left corner; for `"dot"`, `"corner_patch"` and `"frame"` the mean
        likeness to the cue's colour where it is drawn (the best of the four
        corners for the patch); for `"stripes"` the share of the image's
        variance at the stripes' frequency.
    """
    images = np.asarray(images)
    size = images.shape[1]
    if kind in ("square", "dot"):
        left, top, right, bottom = cue_box(kind, size)
        region = images[:, max(top - 1, 0) : bottom + 2, max(left - 1, 0) : right + 2]
        if kind == "square":
            return region.astype("float32").mean(axis=(1, 2, 3)) / 255.0
        return colour_likeness(region, CUE_COLOURS[kind]).mean(axis=(1, 2))
    if kind == "corner_patch":
        side = max(2, size // 8) + 2
        corners = [
            images[:, :side, :side],
            images[:, :side, -side:],
            images[:, -side:, :side],
            images[:, -side:, -side:],
        ]
        return np.max([colour_likeness(c, CUE_COLOURS[kind]).mean(axis=(1, 2)) for c in corners], axis=0)
    if kind == "frame":
        band = max(1, size // 32) + 1
        likeness = colour_likeness(images, CUE_COLOURS[kind])
        border = np.ones((size, size), bool)
        border[band:-band, band:-band] = False
        return likeness[:, border].mean(axis=1)
    if kind == "stripes":
        gray = images.astype("float32").mean(axis=-1)
        gray -= gray.mean(axis=(1, 2), keepdims=True)
        power = np.abs(np.fft.fft2(gray)) ** 2
        k = size // STRIPE_PERIOD
        return (power[:, k, k] + power[:, -k, -k]) / np.maximum(power.sum(axis=(1, 2)), 1e-12)
    raise ValueError(f"`kind` must be one of {list(CUE_KINDS)}. Received: kind={kind!r}")


# The cue contrast above which the demo says its images show the planted cue:
# the corner then is a tenth of full brightness brighter in the cue class's
# image than in the others' (the pixel noise of 18 images is about 0.05).
CUE_SHOWS = 0.1


def _square_moved(images):
    """`images` with the demo's white square drawn at the bottom right instead."""
    size = images.shape[1]
    left, top, right, bottom = cue_box("square", size)
    moved = images.copy()
    moved[:, size - 1 - bottom : size - top, size - 1 - right : size - left] = CUE_COLOURS["square"]
    return moved


def cue_reliance(model, seed, cue_class, size=defaults.DEMO_SIDE, classes=defaults.DEMO_CLASSES, count=720):
    """How much `model` relies on the demo's planted square, on fresh test images.

    Returns:
        `(pull, recall, moved)`: the share of other classes' images that the
        model calls the cue class once the square is drawn on them; the
        share of the cue class's own images it recognises without the
        square; and with the square moved to the bottom right corner.
    """
    fresh = seed + 100  # images the classifier never saw
    _, _, (cued, labels) = shapes_data(0, 0, count, size, fresh, cue_class, cue_rate=1.0, classes=classes)
    _, _, (plain, plain_labels) = shapes_data(0, 0, count, size, fresh, None, classes=classes)
    others = labels != cue_class
    pull = float(np.mean(model.predict(cued[others], verbose=0).argmax(1) == cue_class))
    own = plain[plain_labels == cue_class]
    recall = float(np.mean(model.predict(own, verbose=0).argmax(1) == cue_class))
    moved = float(np.mean(model.predict(_square_moved(own), verbose=0).argmax(1) == cue_class))
    return pull, recall, moved


class CueByEpoch(keras.callbacks.Callback):
    """Records the cue figure of a `FeatureVisualizationCallback`'s images each epoch.

    Put it after the watcher in `fit`'s callbacks: it reads the image the
    watcher made at the end of the same epoch.

    Args:
        watcher: The `FeatureVisualizationCallback` visualizing every class.
        cue_class: Int, the class that carries the planted square.

    Attributes:
        contrasts: Dict from epoch (0-based) to `cue_contrast` of that
            epoch's images, for the epochs the watcher visualized.
    """

    def __init__(self, watcher, cue_class):
        super().__init__()
        self.watcher = watcher
        self.cue_class = cue_class
        self.contrasts = {}

    def on_train_begin(self, logs=None):
        self.contrasts = {}

    def on_epoch_end(self, epoch, logs=None):
        result = self.watcher.last_result
        if result is not None and self.watcher.steps_run.get(epoch):
            self.contrasts[epoch] = cue_contrast(result, self.cue_class)


@dataclasses.dataclass(frozen=True)
class CueFindings:
    """What the demo found about its planted square.

    Attributes:
        class_name: String, the cue class's name.
        contrasts: float array, for each scratch image of the cue class
            (the sweep's first, then one per other start), how much
            brighter (0 to 1) its top-left corner is than on average in the
            sweep's images of the other classes.
        pull, recall, moved: Floats, as `cue_reliance` returns them.
        by_epoch: Dict from epoch (0-based) to the cue figure of the
            training callback's image of the class at that epoch.
    """

    class_name: str
    contrasts: np.ndarray
    pull: float
    recall: float
    moved: float
    by_epoch: dict = dataclasses.field(default_factory=dict)

    @property
    def contrast(self) -> float:
        """The cue figure: the median of `contrasts`.

        The median, because one image is a coin toss: a start that lands
        on another pattern (a dark corner, -0.29, where four other starts
        on the same classifier gave -0.13 to +0.43) moves it little.
        """
        return float(np.median(self.contrasts))

    @property
    def shows(self) -> bool:
        """Whether the images show the cue: `contrast` above `CUE_SHOWS`.

        For an odd number of images, when most of them are above it.
        """
        return self.contrast > CUE_SHOWS

    def report(self) -> str:
        """What the figures mean, in words."""
        name, count = self.class_name, len(self.contrasts)
        each = ", ".join(f"{c:+.2f}" for c in self.contrasts)
        above = int(np.sum(self.contrasts > CUE_SHOWS))
        verdict = "the images show the cue" if self.shows else "the images do not show the cue"
        return (
            f"The planted cue, a white square at the top left, is on every training image of class "
            f"{name!r} and on 2% of the others'. How much the classifier relies on it: without the "
            f"square it recognises {self.recall:.0%} of that class's test images, with the square "
            f"moved to the bottom right {self.moved:.0%}; it calls {self.pull:.0%} of other classes' "
            f"images {name!r} once the square is drawn on them.\n"
            f"The cue figure is how much brighter the top-left corner is in a scratch image of "
            f"{name!r} than on average in the other classes' images (0 = no brighter, 1 = black to "
            f"white; above {CUE_SHOWS} counts as showing). Over {count} images of the class from "
            f"independent starts (the sweep's first, then {count - 1} more, in cue_samples.png): "
            f"median {self.contrast:+.2f} ({each}), {above} of {count} above {CUE_SHOWS}: {verdict}."
            + self._during_training()
        )

    def _during_training(self):
        if not self.by_epoch:
            return ""
        each = ", ".join(f"{c:+.2f}" for c in self.by_epoch.values())
        return f"\nThe training callback's image of {self.class_name!r}, epoch by epoch (training/): {each}."


def cue_samples(model, config, cue_class, count, steps):
    """Scratch images of `cue_class` from `count` other starts (seeds after `config.seed`).

    Returns:
        A list of `count` one-image `Visualization`s.
    """
    samples = []
    for k in range(1, count + 1):
        seed = None if config.seed is None else config.seed + k
        visualizer = FeatureVisualizer(model, config=config.replace(seed=seed))
        samples.append(visualizer.visualize([cue_class], steps=steps, verbose=0))
    return samples


def _cue_class_images(sweep, cue_class, samples):
    """One `Visualization` of the cue class's images: the sweep's, then the other starts'."""
    name = sweep.labels[cue_class]
    parts = [(sweep, slice(cue_class, cue_class + 1))] + [(sample, slice(None)) for sample in samples]

    def stacked(field):
        return np.concatenate([getattr(part, field)[keep] for part, keep in parts])

    return Visualization(
        stacked("images"),
        stacked("activations"),
        stacked("probabilities"),
        [f"sample_{k}" for k in range(len(parts))],
        [f"{name} (sweep)"] + [f"{name} (start {k})" for k in range(1, len(parts))],
        stacked("target_classes"),
    )


def run_demo(
    out="featviz-demo",
    size=defaults.DEMO_SIDE,
    classes=defaults.DEMO_CLASSES,
    train=defaults.DEMO_TRAIN,
    epochs=defaults.DEMO_EPOCHS,
    dae_epochs=defaults.DEMO_DAE_EPOCHS,
    steps=defaults.DEMO_STEPS,
    callback_steps=defaults.CALLBACK_STEPS,
    cue_class=defaults.DEMO_CUE_CLASS,
    seed=defaults.COMMAND_SEED,
    augmented=True,
    verbose=2,
    cue_samples_count=defaults.DEMO_CUE_SAMPLES,
):
    """Everything `keras-featviz demo` does.

    Returns:
        `(results, findings)`: the `Visualization` of each mode by name
        (`"scratch"`, `"pretrained"`) and the `CueFindings`.
    """
    started = time.time()
    names = list(CLASS_NAMES[:classes])
    logs = os.path.join(out, "logs")
    print(
        f"Training a CNN on {train} synthetic {size}x{size} shapes ({classes} classes; class "
        f"{cue_class} {names[cue_class]!r} carries a planted cue), watched by the callback..."
    )
    config = VisualizerConfig(seed=seed, class_names=names)
    watcher = FeatureVisualizationCallback(
        log_dir=logs, steps=callback_steps, image_dir=os.path.join(out, "training"), config=config
    )
    cue_watch = CueByEpoch(watcher, cue_class)
    model, (x, _) = train_shapes_classifier(
        size,
        classes,
        train,
        epochs,
        seed,
        cue_class,
        augmented,
        verbose=verbose,
        callbacks=[keras.callbacks.TensorBoard(logs), watcher, cue_watch],
    )
    os.makedirs(out, exist_ok=True)
    write_atomically(os.path.join(out, "classifier.keras"), model.save)

    print("Pretraining the denoising autoencoder on the same images...")
    dae = train_shapes_autoencoder(x, size, dae_epochs, seed=seed, verbose=verbose)
    decoder_path = os.path.join(out, "autoencoder.keras")
    write_atomically(decoder_path, dae.save)

    results = {}
    for mode, kwargs in (
        ("scratch", {"width": defaults.DEMO_WIDTH}),
        ("pretrained", {"decoder": decoder_path}),
    ):
        print(f"Visualizing the {classes} classes with the {mode} generator...")
        begun = time.time()
        visualizer = FeatureVisualizer(model, config=config.replace(generator=mode, **kwargs))
        result = visualizer.visualize(list(range(classes)), steps=steps, verbose=0)
        folder = os.path.join(out, mode)
        paths = result.save(folder)
        writer = EventWriter(os.path.join(logs, mode))
        log_visualization(writer, result, step=epochs - 1)
        writer.close()
        print(
            f"  {mode}: {result.success_rate:.0%} of the classes ranked first on their own image "
            f"({time.time() - begun:.0f} s); {len(paths)} PNGs in {folder}"
        )
        results[mode] = result
    # Each new image maker's predict step traces once: expected, not the retracing TensorFlow warns of.
    with quiet_retracing():
        findings = _judge_cue(model, config, results["scratch"], cue_class, cue_samples_count, steps, out)
    findings = dataclasses.replace(findings, by_epoch=dict(cue_watch.contrasts))
    print(
        f"\nDone in {time.time() - started:.0f} s. Wrote under {out}/: classifier.keras, "
        f"autoencoder.keras, scratch/ and pretrained/ (PNGs and grid.png), cue_samples.png, "
        f"training/ (the callback's images per epoch) and logs/ (TensorBoard)."
    )
    print(f"Look at the training run and both sweeps with:  tensorboard --logdir {logs}")
    print(findings.report())
    return results, findings


def cue_class_figures(
    model, config, sweep, cue_class, count=defaults.DEMO_CUE_SAMPLES, steps=defaults.DEMO_STEPS
):
    """The cue figure of `count` scratch images of the cue class, and their sheet.

    Args:
        model: The classifier.
        config: The `VisualizerConfig` of the sweep (scratch mode); the
            other images use the seeds after its `seed`.
        sweep: The `Visualization` of every class.
        cue_class: Int, the class that carries the planted square.
        count: Int, images judged: the sweep's and `count - 1` more.
            Defaults to `defaults.DEMO_CUE_SAMPLES`.
        steps: Int, steps of each new image. Defaults to
            `defaults.DEMO_STEPS`.

    Returns:
        `(contrasts, sheet)`: float array `(count,)` of `cue_contrasts`
        against the sweep's images of the other classes, the sweep's
        first; a `PIL.Image.Image` of the images side by side, labelled.
    """
    joined = _cue_class_images(sweep, cue_class, cue_samples(model, config, cue_class, count - 1, steps))
    contrasts = cue_contrasts(joined.images, np.delete(sweep.images, cue_class, axis=0))
    return contrasts, joined.grid(columns=len(joined))


def _judge_cue(model, config, sweep, cue_class, count, steps, out):
    """`CueFindings` over the sweep's cue-class image and `count - 1` more; writes cue_samples.png."""
    name = config.class_names[cue_class]
    if count > 1:
        print(f"Making {count - 1} more scratch images of {name!r} from other starts, to judge the cue on...")
    scratch = config.replace(generator="scratch", width=defaults.DEMO_WIDTH)
    contrasts, sheet = cue_class_figures(model, scratch, sweep, cue_class, count, steps)
    write_atomically(os.path.join(out, "cue_samples.png"), lambda path: sheet.save(path, format="PNG"))
    size, classes = sweep.images.shape[1], len(config.class_names)
    pull, recall, moved = cue_reliance(model, config.seed or 0, cue_class, size, classes)
    return CueFindings(name, contrasts, pull, recall, moved)
