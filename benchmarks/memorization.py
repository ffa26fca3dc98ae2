"""Does the memorisation score separate a memorising from a generalising classifier?

Seed 000's check, on the shapes: one CNN architecture is trained (a) on 4
images per class for 30 epochs, which it memorises (training accuracy near
1, validation near 0.6), and (b) on 1,800 images and as many augmented
copies for 6 epochs, which generalise (validation near 0.98). A
`MemorizationCallback` scores every epoch on the same 300 validation
images, on three seeds. Prints the curves and writes
`results/memorization.json`.

    python benchmarks/memorization.py            # about 10 minutes on 2 cores
    python benchmarks/memorization.py --plot     # only redraw the chart from the JSON

`results/memorization.png` draws the feature score over the epochs: one
line per run, memorising runs red, generalising runs blue.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import keras  # noqa: E402

from keras_featviz.callbacks import MemorizationCallback  # noqa: E402
from keras_featviz.data import augment, shapes_data  # noqa: E402

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
        "red: 4 images a class (memorises); blue: 3,600 images (generalises); 3 seeds",
        fill="black",
        font=font,
    )
    chart.save(path)


def main():
    if "--plot" in sys.argv:
        results = json.loads((HERE / "results" / "memorization.json").read_text())
        plot(results, HERE / "results" / "memorization.png")
        return
    (x, y), (x_val, y_val), _ = shapes_data(train=1800, validation=300, test=0, size=SIZE, classes=CLASSES)
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
