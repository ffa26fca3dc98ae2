"""What the benchmarks run: the classifier, the methods, the machine's figures.

Kept apart from the scripts so that `sweep.py` and `callback_overhead.py`
measure the same shapes classifier, made and cached the same way.
"""

import os
import platform

import keras
import numpy as np
from keras import ops

from keras_featviz.makers.costs import forward_flops
from keras_featviz.makers.layers import FeatureVector

SHAPES = {"size": 32, "classes": 18, "train": 3600, "epochs": 10, "dae_epochs": 6, "seed": 0}  # the demo's


# -- the workload -------------------------------------------------------------


class ConstantStart(FeatureVector):
    """The scratch generator's feature vector of the last release: alpha = 1 for every
    target, before `defaults.SCRATCH_SPREAD` (set `generators.FeatureVector` to it)."""

    def __init__(self, **kwargs):
        super().__init__(**dict(kwargs, initial=1.0, spread=0.0))


def shapes_paths(cache):
    return os.path.join(cache, "shapes_classifier.keras"), os.path.join(cache, "shapes_dae.keras")


def prepare(args):
    """Train and cache the shapes classifier and decoder, if they are used."""
    if args.model != "shapes":
        return
    classifier_path, decoder_path = shapes_paths(args.cache)
    if os.path.exists(classifier_path) and os.path.exists(decoder_path):
        return
    from keras_featviz.demo import train_shapes_autoencoder, train_shapes_classifier

    os.makedirs(args.cache, exist_ok=True)
    print(f"Training the shapes demo classifier and autoencoder once (cached in {args.cache})...", flush=True)
    model, (x, _) = train_shapes_classifier(
        SHAPES["size"], SHAPES["classes"], SHAPES["train"], SHAPES["epochs"], SHAPES["seed"], verbose=0
    )
    model.save(classifier_path)
    train_shapes_autoencoder(
        x, SHAPES["size"], epochs=SHAPES["dae_epochs"], seed=SHAPES["seed"], verbose=0
    ).save(decoder_path)


def load(args):
    """`(classifier, decoder path or None, preprocess)` for this run."""
    if args.model == "shapes":
        classifier_path, decoder_path = shapes_paths(args.cache)
        return keras.saving.load_model(classifier_path), args.decoder or decoder_path, args.preprocess
    if args.model.lower() == "vgg16":
        weights = "imagenet" if os.environ.get("FEATVIZ_VGG16_WEIGHTS", "imagenet") != "none" else None
        return keras.applications.VGG16(weights=weights), args.decoder, args.preprocess or "vgg16"
    return keras.saving.load_model(args.model, compile=False), args.decoder, args.preprocess


def parse_targets(text, classifier):
    from keras_featviz.cli import parse_indices

    classes = classifier.output_shape[-1]
    return list(range(classes)) if text == "all" else parse_indices(text, "--targets")


def probabilities(classifier, preprocess, images):
    """Softmax of the classifier's logits on uint8 images, as shown."""
    from keras_featviz import preprocessing
    from keras_featviz.surgery import ClassifierProbe

    probe = ClassifierProbe(classifier)
    pixels = preprocessing.get(preprocess, images.shape[-1])(ops.convert_to_tensor(images, "float32"))
    logits = ops.convert_to_numpy(probe.model(pixels)["logits"]).astype("float64")
    logits -= logits.max(axis=1, keepdims=True)
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


# -- FLOPs ----------------------------------------------------------------------


def step_flops(generator, classifier, batch):
    """A training step: about 3x the forward pass (forward, two backward)."""
    return 3 * batch * (forward_flops(generator) + forward_flops(classifier))


# -- the methods ----------------------------------------------------------------


def _featviz(classifier, decoder, preprocess, targets, steps, args, mode, reference):
    import keras_featviz
    from keras_featviz.makers import generators
    from keras_featviz.makers.generator_source import load_decoder

    kwargs = {"decoder": decoder} if mode == "pretrained" else {"width": args.width}
    if not reference:
        kwargs["precision"] = getattr(args, "precision", None)
        if getattr(args, "memory_gb", None):
            kwargs["memory_budget"] = args.memory_gb * 2**30
    if reference:
        # Table 1 and 2 to the letter: optimisers, noise, full width, Eq. 2's loss, batch 1.
        kwargs.update(optimizer="paper", paper_loss=True, batch_size=1)
        kwargs.update({"noise": 0.05} if mode == "pretrained" else {"width": 1.0, "noise": 2.0})
    visualizer = keras_featviz.FeatureVisualizer(classifier, mode, preprocess=preprocess, seed=0, **kwargs)
    result = visualizer.visualize(targets, steps=steps, verbose=0)
    batch = min(visualizer.batch_size, len(targets))  # targets per step, both modes batched

    def flops():  # counted on a copy of the generator, after the clock stops
        if mode == "pretrained":
            generator = load_decoder(decoder)
        else:
            generator = generators.scratch_generator(visualizer.image_shape, kwargs["width"])
        return step_flops(generator, classifier, batch)

    return result.images, flops, batch


def reference_scratch(*a):
    return _featviz(*a, mode="scratch", reference=True)


def reference_pretrained(*a):
    return _featviz(*a, mode="pretrained", reference=True)


def featviz_scratch(*a):
    return _featviz(*a, mode="scratch", reference=False)


def featviz_pretrained(*a):
    return _featviz(*a, mode="pretrained", reference=False)


class PixelAscent(keras.Model):
    """Gradient ascent on the image itself, one image per target, batched.

    The image is `127.5 * (1 + tanh(v))` of a free variable `v` (bounded
    pixels with a gradient everywhere), and the loss is minus the target's
    logit. With `jitter`, each step scores a randomly shifted copy
    (transformation robustness, seed 004).
    """

    def __init__(self, probe, preprocess, shape, rows, jitter=0, seed=0):
        super().__init__()
        self.probe, self.preprocess, self.jitter = probe, preprocess, jitter
        self.shape_ = tuple(shape)
        self.image = self.add_weight(
            shape=(rows, *shape), initializer=keras.initializers.RandomNormal(0, 0.1, seed=seed), name="image"
        )
        self.seeds = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        pixels = 127.5 * (1.0 + ops.tanh(self.image))
        if training and self.jitter:
            j, (h, w, c) = self.jitter, self.shape_
            padded = ops.pad(pixels, [(0, 0), (j, j), (j, j), (0, 0)], mode="reflect")
            dy, dx = (keras.random.randint((), 0, 2 * j + 1, seed=self.seeds) for _ in range(2))
            pixels = ops.slice(padded, [0, dy, dx, 0], [ops.shape(pixels)[0], h, w, c])
        return self.probe(self.preprocess(pixels), training=False)["logits"], pixels

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        logits = ops.cast(y_pred[0], "float32")
        return -ops.sum(ops.take_along_axis(logits, ops.cast(y, "int32")[:, None], axis=1))


def _pixel(classifier, decoder, preprocess, targets, steps, args, jitter):
    from keras_featviz import preprocessing
    from keras_featviz.surgery import ClassifierProbe

    probe = ClassifierProbe(classifier)
    shape = probe.input_shape
    model = PixelAscent(
        probe.model,
        preprocessing.get(preprocess, shape[-1]),
        shape,
        len(targets),
        jitter=max(1, shape[0] // 16) if jitter else 0,
    )
    model.compile(keras.optimizers.Adam(0.05))
    x = np.zeros((len(targets), 1), "float32")
    y = np.array(targets, "int32")
    model.fit(x, y, batch_size=len(targets), epochs=steps, verbose=0, shuffle=False)
    pixels = ops.convert_to_numpy(127.5 * (1.0 + ops.tanh(model.image)))
    return (
        np.round(pixels).astype("uint8"),
        lambda: 3 * len(targets) * forward_flops(classifier),
        len(targets),
    )


def pixel(*a):
    return _pixel(*a, jitter=False)


def pixel_jitter(*a):
    return _pixel(*a, jitter=True)


def tf_keras_vis_available():
    if keras.backend.backend() != "tensorflow":
        return False
    try:
        import tf_keras_vis  # noqa: F401
    except ImportError:
        return False
    return True


def tf_keras_vis(classifier, decoder, preprocess, targets, steps, args):
    """tf-keras-vis's ActivationMaximization, defaults, on a functional copy."""
    from tf_keras_vis.activation_maximization import ActivationMaximization
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    inputs = keras.Input(classifier.input_shape[1:])
    functional = keras.Model(inputs, classifier(inputs))  # its modifier fails on Sequential
    maximize = ActivationMaximization(functional, model_modifier=ReplaceToLinear(), clone=True)
    # One seed image per target: its default seed is a single image.
    seeds = np.random.default_rng(0).uniform(0, 255, (len(targets), *classifier.input_shape[1:]))
    images = maximize(CategoricalScore(list(targets)), seed_input=seeds.astype("float32"), steps=steps)
    images = np.clip(np.asarray(images), 0, 255).astype("uint8")
    return images, lambda: 3 * len(targets) * forward_flops(classifier), len(targets)


METHOD_RUNNERS = {
    "reference-scratch": reference_scratch,
    "reference-pretrained": reference_pretrained,
    "featviz-pretrained": featviz_pretrained,
    "featviz-scratch": featviz_scratch,
    "pixel": pixel,
    "pixel-jitter": pixel_jitter,
    "tf-keras-vis": tf_keras_vis,
}


# -- the machine ---------------------------------------------------------------


def peak_device_mb():
    """Peak accelerator memory of this process, `None` on CPU."""
    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform != "cpu":
                return round(device.memory_stats()["peak_bytes_in_use"] / 2**20)
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                return round(torch.cuda.max_memory_allocated() / 2**20)
    except Exception:  # memory statistics are a nicety, not the benchmark
        return None
    return None


def matmul_gflops(size=2048, repeats=10):
    """The float32 matrix-multiply rate this backend reaches here."""
    import time

    a = keras.random.normal((size, size), seed=0)
    b = keras.random.normal((size, size), seed=1)
    ops.convert_to_numpy(ops.sum(ops.matmul(a, b)))  # warm up
    started = time.perf_counter()
    for _ in range(repeats):
        c = ops.matmul(a, b)
    ops.convert_to_numpy(ops.sum(c))
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


def machine():
    backend = keras.backend.backend()
    device = "CPU"
    if backend == "jax":
        import jax

        device = str(jax.devices()[0].device_kind)
    return {
        "description": f"{platform.machine()} {os.cpu_count()} cores, {device}, Keras {keras.__version__} "
        f"on {backend}",
        "backend": backend,
        "device": device,
        "cpu_count": os.cpu_count(),
        "matmul_gflops": round(matmul_gflops(), 1),
        "flops_counted": "convolutions and dense layers, a step = 3x the forward pass",
    }
