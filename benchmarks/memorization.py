"""Does the memorisation score separate memorising from generalising, and shift from both?

Two parts, three seeds each, on the shapes (6 classes, 32x32).

**Curves** (`--curves`). Seed 000's check: one CNN architecture is trained
(a) on the first 24 images (3 to 6 a class) for 30 epochs, which it memorises (training
accuracy near 1, validation near 0.6), and (b) on 1,800 images and as many
augmented copies for 6 epochs, which generalise (validation near 0.98). A
`MemorizationCallback` scores every epoch on the same 300 validation
images. Writes `results/memorization.json` and draws the feature score
over the epochs in `results/memorization.png` (memorising runs red,
generalising runs blue).

**Table** (`--table`). Each trained model's class images (3 seeds, 120
steps each, the scratch generator as `MemorizationCallback` uses it) are scored by a
`MemorizationMeter` against held-out sets: as they are, and brightened by
0.1 and 0.3 of the pixel range (a pure shift). The models:
- `memorises` and `generalises` as above;
- `plain`: 1,800 images, no augmentation, 8 epochs: it generalises, but a
  brighter held-out set costs it accuracy;
- `one class`: every class has its 300 images but class 0 only 4, each
  repeated 75 times, 10 epochs: the model memorises one class while the
  overall accuracy gap, the curve Keras logs, stays small.
Prints, per model and held-out set: the accuracy gap (train minus
held-out), the mean per-class gap as `MemorizationCallback` logs it (on
up to 20 images a class from each set, held-out colours matched), the feature score before and after colour matching, the input
and residual shift, `sameness` (needs no data), the share of training
images among each class image's 5 nearest, and for `one class` class 0
apart from the rest. Writes `results/memorization_table.json`.

    python benchmarks/memorization.py            # both, about 25 minutes on 2 cores
    python benchmarks/memorization.py --table    # the table only, about 12 minutes
    python benchmarks/memorization.py --plot     # only redraw the chart from the JSON
    python benchmarks/memorization.py --sheet    # results/memorization_nearest.png, a minute
    python benchmarks/memorization.py --similarities  # about 35 minutes
    python benchmarks/memorization.py --similarities --steps 120  # the table's class images
    python benchmarks/memorization.py --control       # the same ranking with no class image, a minute

`--sheet` draws the nearest-images view of the `memorises` model of seed 1:
each class image beside the 5 images nearest to it among its class's
training and held-out images.

`--similarities` asks whether another measure of nearness would name the
memorised images: for the `memorises`, `generalises` and `one class` models
of each seed, the class images of two makers (the scratch generator, and Lucid's
Fourier image with its transforms, 3 seeds, 300 steps or `--steps N`) are compared with
up to 20 training and as many held-out images a class in several of the
model's spaces, and the share of training images among the 5 nearest is
printed (chance 0.5; the `one class` model's class 0 has 4 of each, so its
share is out of 4 training images and at most 0.8). Writes
`results/memorization_similarities.json`.

`--control` ranks the same compared images with no class image at all, by
the model's own logit and probability of each for its class, and prints
the same share: what a measure working through the class's evidence can
reach at best. Writes `results/memorization_control.json`.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import keras  # noqa: E402

from keras_featviz import FeatureVisualizer, defaults  # noqa: E402
from keras_featviz.callbacks import MemorizationCallback  # noqa: E402
from keras_featviz.shapes import augment, shapes_data  # noqa: E402
from keras_featviz.views.memorization import (  # noqa: E402
    MemorizationMeter,
    balanced_indices,
    colour_matcher,
)

SIZE, CLASSES, SEEDS = 32, 6, (0, 1, 2)
REGIMES = {
    # few images, long training: memorises
    "memorises": {"images_per_class": 4, "epochs": 30, "batch_size": 8},
    # many varied images: generalises
    "generalises": {"images_per_class": None, "epochs": 6, "batch_size": 32},
}


def classifier(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3)),
            keras.layers.Rescaling(1 / 255.0),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ]
    )


def run(regime, seed, data, logs):
    (x, y), (x_val, y_val) = data
    settings = REGIMES[regime]
    if settings["images_per_class"]:
        x, y = x[: settings["images_per_class"] * CLASSES], y[: settings["images_per_class"] * CLASSES]
    else:
        x, y = np.concatenate([x, augment(x, seed=seed)]), np.concatenate([y, y])
    model = classifier(seed)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    callback = MemorizationCallback(
        (x, y), (x_val, y_val), log_dir=logs / f"{regime}_{seed}", steps=20, per_class=20, max_overhead=None
    )
    started = time.time()
    history = model.fit(
        x,
        y,
        validation_data=(x_val, y_val),
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        verbose=0,
        callbacks=[callback],
    ).history
    curve = {
        kind: [float(np.mean(s[kind])) for s in callback.history.values()] for kind in callback.history[0]
    }
    return {
        "seconds": time.time() - started,
        "train_accuracy": history["accuracy"][-1],
        "val_accuracy": history["val_accuracy"][-1],
        **curve,
    }


def plot(results, path, width=640, height=360, margin=48):
    """A line chart of the feature score over epochs, drawn with PIL."""
    from PIL import Image, ImageDraw, ImageFont

    curves = {name: result["features"] for name, result in results.items()}
    epochs = max(len(c) for c in curves.values())
    low = min(min(c) for c in curves.values())
    high = max(max(c) for c in curves.values())
    low, high = min(low, 0.0) - 0.02, high + 0.02

    def point(epoch, value):
        x = margin + (epoch - 1) / max(epochs - 1, 1) * (width - 2 * margin)
        y = height - margin - (value - low) / (high - low) * (height - 2 * margin)
        return x, y

    chart = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(chart)
    font = ImageFont.load_default()
    draw.line([point(1, 0.0), point(epochs, 0.0)], fill=(160, 160, 160))
    draw.line([(margin, margin), (margin, height - margin), (width - margin, height - margin)], fill="black")
    for value in (low + 0.02, 0.0, high - 0.02):
        draw.text((4, point(1, value)[1] - 6), f"{value:+.2f}", fill="black", font=font)
    for epoch in (1, 6, 10, 20, 30):
        if epoch <= epochs:
            draw.text((point(epoch, low)[0] - 4, height - margin + 4), str(epoch), fill="black", font=font)
    for name, curve in curves.items():
        colour = (200, 40, 40) if name.startswith("memorises") else (40, 80, 220)
        draw.line([point(e + 1, v) for e, v in enumerate(curve)], fill=colour, width=2)
    draw.text((margin, 8), "memorization/features, mean over 6 classes, by epoch", fill="black", font=font)
    draw.text(
        (margin, 22),
        "red: 24 images, 3 to 6 a class (memorises); blue: 3,600 images (generalises); 3 seeds",
        fill="black",
        font=font,
    )
    chart.save(path)


TABLE_MODELS = {
    "memorises": {"epochs": 30, "batch_size": 8},
    "generalises": {"epochs": 6, "batch_size": 32},
    "plain": {"epochs": 8, "batch_size": 32},
    "one class": {"epochs": 10, "batch_size": 32},
}
BRIGHTER = (0.0, 0.1, 0.3)


def table_training_set(name, x, y, seed):
    if name == "memorises":
        return x[: 4 * CLASSES], y[: 4 * CLASSES]
    if name == "generalises":
        return np.concatenate([x, augment(x, seed=seed)]), np.concatenate([y, y])
    if name == "one class":
        # Class 0's first 4 images, each repeated 75 times: as many as each
        # other class's 300 different ones, so the model fits them at once.
        few = np.flatnonzero(y == 0)[:4]
        others = np.flatnonzero(y != 0)
        chosen = np.concatenate([others, np.repeat(few, 75)])
        return x[chosen], y[chosen]
    return x, y


def trained(name, x, y, seed):
    """The table's model `name` of `seed`, trained, and its training set."""
    train = table_training_set(name, x, y, seed)
    settings = TABLE_MODELS[name]
    model = classifier(seed)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    model.fit(*train, epochs=settings["epochs"], batch_size=settings["batch_size"], verbose=0)
    return model, train


def accuracy_by_class(model, x, y):
    predicted = np.argmax(model.predict(x, verbose=0), axis=1)
    return float(np.mean(predicted == y)), [float(np.mean(predicted[y == c] == c)) for c in range(CLASSES)]


def table_row(model, train, heldout, class_images):
    meter = MemorizationMeter(model, train, heldout, list(range(CLASSES)), per_class=20)
    scores = meter.measure(class_images)
    nearest = meter.nearest(class_images[0])
    # The same score with the held-out images as given (no colour matching),
    # as the previous release computed it: what the shift did to it.
    unmatched = MemorizationMeter(
        model, train, heldout, list(range(CLASSES)), per_class=20, match_colours=False
    )
    train_accuracy, train_classes = accuracy_by_class(model, *train)
    heldout_accuracy, heldout_classes = accuracy_by_class(model, *heldout)
    return {
        "gap": train_accuracy - heldout_accuracy,
        "class_gaps": [a - b for a, b in zip(train_classes, heldout_classes)],
        # What `MemorizationCallback` logs as `memorization/accuracy_gap/<class>`:
        # on up to 20 images a class from each set, held-out colours matched.
        "class_gaps_matched": scores["accuracy_gap"].tolist(),
        "features": scores["features"].tolist(),
        "features_unmatched": unmatched.measure(class_images)["features"].tolist(),
        "input_shift": meter.input_shift,
        "residual_shift": meter.residual_shift,
        "sameness": scores["sameness"].tolist(),
        "nearest_training": nearest.training_share().tolist(),
        "all_trained_on": [nearest.summary(n).endswith(")") for n in range(CLASSES)],
    }


def table(x, y, x_val, y_val):
    results = {}
    for seed in SEEDS:
        for name in TABLE_MODELS:
            model, train = trained(name, x, y, seed)
            class_images = class_images_of(model)
            for brighter in BRIGHTER:
                heldout = (np.clip(x_val + 255.0 * brighter, 0, 255).astype("float32"), y_val)
                row = table_row(model, train, heldout, class_images)
                results[f"{name}/{seed}/+{brighter}"] = row
                print_row(f"{name}/{seed}/+{brighter}", row)
    return results


def print_row(key, row):
    mean = lambda values: float(np.nanmean(values))  # noqa: E731
    print(
        f"{key:<24} gap {row['gap']:+.2f}  features {mean(row['features']):+.3f} "
        f"(unmatched {mean(row['features_unmatched']):+.3f})  shift {row['input_shift']:6.1f} "
        f"-> {row['residual_shift']:5.1f}  sameness {mean(row['sameness']):.2f}  "
        f"nearest training {mean(row['nearest_training']):.2f}",
        flush=True,
    )
    if key.startswith("one class"):
        print(
            f"{'':<24} class 0: features {row['features'][0]:+.3f}, gap {row['class_gaps'][0]:+.2f} "
            f"(matched {row['class_gaps_matched'][0]:+.2f}), nearest training "
            f"{row['nearest_training'][0]:.2f}; others: features {mean(row['features'][1:]):+.3f} "
            f"(max {max(row['features'][1:]):+.3f}), gap {mean(row['class_gaps'][1:]):+.2f} "
            f"(matched, max {max(row['class_gaps_matched'][1:]):+.2f})",
            flush=True,
        )


def summarise(results):
    """Mean (range) over seeds of each model and held-out set's main figures."""
    print(
        f"\n{'model':<12}{'held-out':>9}{'gap':>15}{'matched gap':>18}{'features':>22}{'unmatched':>22}{'input shift':>18}"
        f"{'residual':>15}{'sameness':>16}{'nearest train':>18}"
    )
    for name in TABLE_MODELS:
        for brighter in BRIGHTER:
            rows = [results[f"{name}/{seed}/+{brighter}"] for seed in SEEDS]
            cells = []
            for key, form in [
                ("gap", "+.2f"),
                ("class_gaps_matched", "+.2f"),
                ("features", "+.3f"),
                ("features_unmatched", "+.3f"),
                ("input_shift", ".1f"),
                ("residual_shift", ".1f"),
                ("sameness", ".2f"),
                ("nearest_training", ".2f"),
            ]:
                values = [float(np.nanmean(r[key])) for r in rows]
                cells.append(f"{np.mean(values):{form}} ({min(values):{form}}..{max(values):{form}})")
            print(f"{name:<12}{'+' + str(brighter):>9}" + "".join(f"{c:>18}" for c in cells))


def class_images_of(model, seeds=3, steps=120, generator="scratch", **options):
    """`(seeds, CLASSES, H, W, 3)` class images, one batch per seed; by default the
    scratch generator's, the image maker `MemorizationCallback` uses."""
    return np.stack(
        [
            FeatureVisualizer(model, generator, seed=n, **options)
            .visualize(list(range(CLASSES)), steps=steps, verbose=0)
            .images
            for n in range(seeds)
        ]
    )


def sheet(x, y, x_val, y_val, seed=1):
    model, train = trained("memorises", x, y, seed)
    meter = MemorizationMeter(model, train, (x_val, y_val), list(range(CLASSES)), per_class=20)
    nearest = meter.nearest(class_images_of(model, seeds=1)[0], [f"shape {c}" for c in range(CLASSES)])
    nearest.sheet(tile=96).save(HERE / "results" / "memorization_nearest.png")
    print(f"Wrote results/memorization_nearest.png; training share {nearest.training_share().round(2)}")


def _unit(matrix):
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def _spaces(model, images):
    """The model's view of `images`: each layer's output flattened, and the logits."""
    layers = model.layers
    outputs = keras.Model(model.inputs, [layer.output for layer in layers]).predict(
        np.asarray(images, "float32"), verbose=0, batch_size=64
    )
    kernel, bias = layers[-1].get_weights()
    spaces = {f"layer {i}": out.reshape(len(images), -1) for i, out in enumerate(outputs[:-1])}
    spaces["logits"] = outputs[-2] @ kernel + bias
    return spaces, kernel


def similarities(model, queries, references, target):
    """`{measure: (queries x references) similarity}` in several of the model's spaces."""
    q, kernel = _spaces(model, queries)
    r, _ = _spaces(model, references)
    penultimate = f"layer {len(model.layers) - 2}"
    convolutions = [f"layer {i}" for i, layer in enumerate(model.layers) if "conv" in layer.name]

    def centred(key):
        centre = r[key].mean(axis=0)
        return _unit(q[key] - centre) @ _unit(r[key] - centre).T

    evidence_q, evidence_r = q[penultimate] * kernel[:, target], r[penultimate] * kernel[:, target]
    return {
        "penultimate, cosine centred on the class's compared images": centred(penultimate),
        "penultimate, cosine": _unit(q[penultimate]) @ _unit(r[penultimate]).T,
        "penultimate, Euclidean": -np.linalg.norm(q[penultimate][:, None] - r[penultimate][None], axis=-1),
        "class evidence (features x class weights), cosine": _unit(evidence_q) @ _unit(evidence_r).T,
        "logits, centred cosine": centred("logits"),
        "first convolution's map, centred cosine": centred(convolutions[0]),
        "last convolution's map, centred cosine": centred(convolutions[-1]),
        "every convolution and the penultimate, mean": np.mean(
            [centred(key) for key in [*convolutions, penultimate]], axis=0
        ),
    }


SIMILARITY_MAKERS = {
    "scratch": {"generator": "scratch"},
    "lucid": {"generator": "fourier", "transforms": "standard"},
}


def compared_images(train, x_val, y_val, per_class=20):
    """Per class, `(references, count)`: `count` training images, then as many held-out ones
    (colours matched), as the nearest-images view compares them."""
    seen = balanced_indices(train[1], list(range(CLASSES)), per_class, train[0])
    unseen = balanced_indices(y_val, list(range(CLASSES)), per_class, x_val)
    match = colour_matcher(
        x_val[np.concatenate(list(unseen.values()))], train[0][np.concatenate(list(seen.values()))]
    )
    compared = []
    for c in range(CLASSES):
        count = min(len(seen[c]), len(unseen[c]))
        compared.append((np.concatenate([train[0][seen[c][:count]], match(x_val[unseen[c][:count]])]), count))
    return compared


def nearest_shares(x, y, x_val, y_val, steps, k=5):
    """The share of training images among the `k` nearest, per model, maker and measure."""
    shares = {}
    for seed in SEEDS:
        for name in ("memorises", "generalises", "one class"):
            model, train = trained(name, x, y, seed)
            compared = compared_images(train, x_val, y_val)
            for maker, options in SIMILARITY_MAKERS.items():
                images = class_images_of(model, steps=steps, **options)
                for c, (references, count) in enumerate(compared):
                    queries = images[:, c]
                    for measure, values in similarities(model, queries, references, c).items():
                        nearest = np.argsort(-values, axis=1, kind="stable")[:, :k]
                        key = f"{name}/{maker}/{measure}"
                        shares.setdefault(key, {}).setdefault(str(seed), []).append(
                            float(np.mean(nearest < count))
                        )
            print(f"seed {seed}, {name}: done", flush=True)
    return shares


def control_shares(x, y, x_val, y_val, k=5):
    """With no class image at all: the share of training images among the `k` compared images
    that the model itself scores highest for their class (logit, then probability).

    A class-image measure that works through the class's evidence can name the training
    images no better than the model's own scores of them do: this is its ceiling.
    """
    shares = {}
    for seed in SEEDS:
        for name in ("memorises", "generalises", "one class"):
            model, train = trained(name, x, y, seed)
            for c, (references, count) in enumerate(compared_images(train, x_val, y_val)):
                scores = {"logit": _spaces(model, references)[0]["logits"][:, c]}
                scores["probability"] = model.predict(references, verbose=0)[:, c]
                for measure, values in scores.items():
                    top = np.argsort(-values, kind="stable")[:k]
                    shares.setdefault(f"{name}/{measure}", {}).setdefault(str(seed), []).append(
                        float(np.mean(top < count))
                    )
    for key, by_seed in shares.items():
        means = [np.mean(by_seed[str(s)]) for s in SEEDS]
        class_0 = " ".join(f"{by_seed[str(s)][0]:.2f}" for s in SEEDS)
        print(f"{key:<28} {np.mean(means):.2f} ({min(means):.2f}..{max(means):.2f})   class 0: {class_0}")
    return shares


def print_shares(shares):
    measures = list(dict.fromkeys(key.split("/", 2)[2] for key in shares))
    for name in ("memorises", "generalises", "one class"):
        for maker in SIMILARITY_MAKERS:
            print(f"\n{name}, {maker}'s class images: training share among the 5 nearest, seeds {SEEDS}")
            for measure in measures:
                by_seed = shares[f"{name}/{maker}/{measure}"]
                means = [np.mean(by_seed[str(s)]) for s in SEEDS]
                class_0 = " ".join(f"{by_seed[str(s)][0]:.2f}" for s in SEEDS)
                print(
                    f"  {measure:<60} {np.mean(means):.2f} ({min(means):.2f}..{max(means):.2f})"
                    + (f"   class 0: {class_0}" if name == "one class" else "")
                )


def main():
    if "--plot" in sys.argv:
        results = json.loads((HERE / "results" / "memorization.json").read_text())
        plot(results, HERE / "results" / "memorization.png")
        return
    (x, y), (x_val, y_val), _ = shapes_data(train=1800, validation=300, test=0, size=SIZE, classes=CLASSES)
    if "--sheet" in sys.argv:
        sheet(x, y, x_val, y_val)
        return
    if "--control" in sys.argv:
        shares = control_shares(x, y, x_val, y_val)
        (HERE / "results" / "memorization_control.json").write_text(json.dumps(shares, indent=1))
        return
    if "--similarities" in sys.argv:
        steps = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else defaults.STEPS
        shares = nearest_shares(x, y, x_val, y_val, steps)
        suffix = "" if steps == defaults.STEPS else f"_{steps}_steps"
        (HERE / "results" / f"memorization_similarities{suffix}.json").write_text(
            json.dumps(shares, indent=1)
        )
        print_shares(shares)
        return
    if "--curves" not in sys.argv:
        results = table(x, y, x_val, y_val)
        (HERE / "results" / "memorization_table.json").write_text(json.dumps(results, indent=1))
        summarise(results)
        if "--table" in sys.argv:
            return
    logs = Path("/tmp/featviz-memorization-logs")
    results = {}
    for seed in SEEDS:
        for regime in REGIMES:
            result = run(regime, seed, ((x, y), (x_val, y_val)), logs)
            results[f"{regime}/{seed}"] = result
            print(
                f"{regime} seed {seed}: train accuracy {result['train_accuracy']:.2f}, validation "
                f"{result['val_accuracy']:.2f}, {result['seconds']:.0f} s"
            )
            for kind in ("features", "pixels", "sameness"):
                print(f"  {kind:<9}" + " ".join(f"{v:+.3f}" for v in result[kind]))
    for seed in SEEDS:
        memorising = results[f"memorises/{seed}"]["features"][-1]
        generalising = results[f"generalises/{seed}"]["features"][-1]
        print(f"seed {seed}: last-epoch feature score {memorising:+.3f} (memorises) vs {generalising:+.3f}")
    out = HERE / "results" / "memorization.json"
    out.write_text(json.dumps(results, indent=1))
    plot(results, HERE / "results" / "memorization.png")
    print(f"Wrote {out} and memorization.png")


if __name__ == "__main__":
    main()
