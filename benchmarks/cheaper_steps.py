"""Can a step of a 224x224 model be made cheap enough for 1,000 classes in 30 minutes on 2 cores?

Thirty minutes for 1,000 classes leaves 1.8 s a class. This script measures
what a step costs and what cheaper steps do to the images, on the
`lite0-dogs` setup of `real_models.py`: EfficientNet-Lite0 (224x224) makes
the images of the 19 dog breeds with the library's defaults (Lucid's image,
strong transforms), and the MobileNetV2 dog-breed classifier (another
family: the right breed first among the 19) and EfficientNet-Lite2 (the
same family: top-5 of 1,000) judge them.

1. The bare cost: one forward and backward pass of Lite0 per image (16
   images a batch) at input sides 224, 160, 128 and 112, on the running
   backend.
2. Cheaper steps, each configuration in this process, one after another:
   - `view`: the image is still made at 224x224, but the classifier looks
     at it shrunk to `view` pixels a side (antialiased) after the
     transforms, through a copy of Lite0 built for that size, so a step
     costs what a step at that side costs. (The script reaches into the
     visualizer's probe cache for this: it is an experiment, not an
     option of the library.) Own top-1 is then read at 224.
   - `steps` and `rate`: fewer steps, Adam's rate raised, with a cosine
     decay to a tenth where `cosine` is set.

    python benchmarks/cheaper_steps.py                 # about 25 minutes on 2 cores
    python benchmarks/cheaper_steps.py --configs 224:300 128:300 224:100
    python benchmarks/cheaper_steps.py --configs --xla              # the step costs only, with XLA
    KERAS_BACKEND=jax python benchmarks/cheaper_steps.py --configs  # on JAX
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

# view:steps[:rate[:cosine]]
CONFIGS = (
    "224:300",
    "160:300",
    "128:300",
    "112:300",
    "96:300",
    "128:200",
    "224:100",
    "224:100:0.15:cosine",
    "224:100:0.3:cosine",
    "224:150:0.15:cosine",
)


def step_cost(sizes, xla=False, batch=16, repeats=5):
    """Milliseconds of one forward and backward pass of Lite0 per image, per input side."""
    import keras
    from imagenet_models import efficientnet_lite

    costs = {}
    for size in sizes:
        model = efficientnet_lite("lite0", input_size=size)
        images = keras.Variable(
            np.random.default_rng(0).uniform(0, 255, (batch, size, size, 3)), dtype="float32"
        )
        step = _gradient_step(model, images, xla)
        step()
        step()  # traced and warmed up
        begun = time.perf_counter()
        for _ in range(repeats):
            step()
        costs[size] = (time.perf_counter() - begun) / repeats / batch * 1000
    return costs


def _gradient_step(model, images, xla):
    """A compiled step: the gradient of 16 logits with respect to the images (TensorFlow:
    with XLA if `xla`)."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(jit_compile=xla)
        def step():
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(model(images.value, training=False)[:, :16])
            images.assign_add(tape.gradient(loss, images.value))

        return step
    if backend == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        frozen = [v.value for v in model.non_trainable_variables]

        def loss(x):
            logits, _ = model.stateless_call(trainable, frozen, x, training=False)
            return logits[:, :16].sum()

        gradient = jax.jit(jax.grad(loss))
        return lambda: gradient(images.value).block_until_ready()
    raise SystemExit(f"step costs are timed on TensorFlow or JAX. Received: backend={backend}")


def _shrinking_transforms(view, seed):
    """The strong transforms, then a resize to `view` pixels a side."""
    import keras

    from keras_featviz.optimization import transforms

    class Shrink(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.affine = transforms.get("strong", seed)

        def call(self, images, training=None):
            images = self.affine(images, training=training)
            return keras.ops.image.resize(images, (view, view), interpolation="bilinear", antialias=True)

    return Shrink(name="shrink")


def run_config(config, seed):
    """Make and judge the 19 breeds' images with one configuration."""
    import keras
    import real_models
    from imagenet_models import efficientnet_lite

    import keras_featviz
    from keras_featviz.surgery import ClassifierProbe

    view, steps, *rest = config.split(":")
    view, steps = int(view), int(steps)
    rate = float(rest[0]) if rest else None
    optimizer = None
    if rate is not None:
        schedule = (
            keras.optimizers.schedules.CosineDecay(rate, steps, alpha=0.1) if "cosine" in rest else rate
        )
        optimizer = keras.optimizers.Adam(learning_rate=schedule)
    classes, imagenet_classes = real_models.setup_classes("lite0-dogs", 0)
    model = efficientnet_lite("lite0")
    begun = time.perf_counter()
    options = {"optimizer": optimizer, "seed": seed, "batch_size": len(classes)}
    if view != model.input_shape[1]:
        options["transforms"] = _shrinking_transforms(view, seed)
    visualizer = keras_featviz.FeatureVisualizer(model, **options)
    if view != model.input_shape[1]:
        visualizer.probe = ClassifierProbe(efficientnet_lite("lite0", input_size=view))
        visualizer._probes = {(): visualizer.probe}
    images = visualizer.visualize(classes, steps=steps, verbose=0).images
    row = {"config": config, "seed": seed, "seconds_per_class": (time.perf_counter() - begun) / len(classes)}
    logits = model.predict(images.astype("float32"), verbose=0)
    row["own_top1"] = float(np.mean(logits.argmax(axis=1) == np.asarray(classes)))
    for judge_name in ("dogs", "lite2"):
        judge_model, _ = real_models.load(judge_name)
        row[judge_name] = real_models.judge(judge_name, judge_model, images, imagenet_classes)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--configs",
        nargs="*",
        default=list(CONFIGS),
        help="view:steps[:rate[:cosine]]; none: only the step costs",
    )
    parser.add_argument("--xla", action="store_true", help="time the TensorFlow step with XLA")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sizes", type=int, nargs="*", default=[224, 160, 128, 112])
    parser.add_argument("--out", default=str(HERE / "results" / "cheaper_steps.json"))
    args = parser.parse_args()

    import keras

    costs = step_cost(args.sizes, args.xla)
    compiler = ", XLA" if args.xla else ""
    print(f"Lite0, one forward and backward pass an image (batch 16, {keras.backend.backend()}{compiler}):")
    for size, cost in costs.items():
        print(f"  {size}x{size}: {cost:.1f} ms; 1.8 s a class buys {1800 / cost:.0f} such steps")
    if not args.configs:
        return
    rows = []
    print(f"\n{'config':<22} {'s/class':>8} {'own top-1':>10} {'MobileNetV2 breed':>18} {'Lite2 top-5':>12}")
    for config in args.configs:
        row = run_config(config, args.seed)
        rows.append(row)
        print(
            f"{config:<22} {row['seconds_per_class']:>8.1f} {row['own_top1']:>10.0%} "
            f"{row['dogs']['fine_grained']:>18.0%} {row['lite2']['top5']:>12.0%}",
            flush=True,
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps({"backend": keras.backend.backend(), "step_ms": costs, "rows": rows}, indent=1) + "\n"
    )


if __name__ == "__main__":
    main()
