"""Adebayo et al.'s randomisation test on what the sheets draw, and how much each method shows contrast.

scikit-learn's digits, enlarged to 32x32 RGB, with a planted cue: a 4x4
white patch in the top-left corner on every image of class 3 and on 10% of
the other classes' images (so the patch says "3" but is not a 3). One small
CNN per seed (0, 1, 2) is trained on them; its maps of 20 held-out patched
3s are compared with the maps of the same network with **every** layer
re-initialised (three re-initialisations a seed).

Per method it prints:
- `trained on patch`: the share of the drawn map's mass in the patch
  region (6x6 pixels, 3.5% of the image) for the trained network;
- `random on patch`: the same for the re-initialised networks: a map that
  still lands on the patch with nothing learnt shows input contrast, not
  what the network learnt;
- `trained points` / `random points`: the share of maps whose strongest
  pixel lies in the patch region;
- `rank corr (drawn)`: Spearman's rank correlation of the trained and the
  re-initialised maps as the sheets draw them (signed methods with their
  sign); below 0.7 passes;
- `rank corr (magnitude)`: the same for the maps' magnitudes, as the
  sheets drew every method before signed maps were drawn with their sign.

    python benchmarks/attribution_sanity.py      # about 3 minutes on 2 cores
"""

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import keras  # noqa: E402
from PIL import Image  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from keras_featviz.io.sheets import normalized  # noqa: E402
from keras_featviz.views.attribution import METHODS, SIGNED_METHODS, Attributor  # noqa: E402

SIZE, CUE_CLASS, PATCH = 32, 3, 4
COLUMNS = ("trained", "random", "trained points", "random points", "drawn", "magnitude")
REGION = np.zeros((SIZE, SIZE), bool)
REGION[: PATCH + 2, : PATCH + 2] = True


def digits_with_patch(seed):
    digits = load_digits()
    images = np.stack(
        [
            np.asarray(Image.fromarray(d).resize((SIZE, SIZE), Image.BILINEAR))
            for d in (digits.images * 255 / 16).astype("uint8")
        ]
    ).astype("float32")
    images = np.repeat(images[..., None], 3, axis=-1)
    labels = digits.target
    rng = np.random.default_rng(seed)
    patched = (labels == CUE_CLASS) | (rng.random(len(labels)) < 0.1)
    images[patched, 1 : 1 + PATCH, 1 : 1 + PATCH] = 255.0
    order = rng.permutation(len(labels))
    return images[order], labels[order], patched[order]


def cnn(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3)),
            keras.layers.Rescaling(1 / 255.0),
            keras.layers.Conv2D(16, 3, activation="relu", padding="same"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu", padding="same"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu", padding="same"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


HEADS = {
    "trained": "trained on patch",
    "random": "random on patch",
    "trained points": "trained points",
    "random points": "random points",
    "drawn": "rank corr (drawn)",
    "magnitude": "rank corr (magnitude)",
}


def rank_correlation(a, b):
    ranks = [np.argsort(np.argsort(m.ravel())).astype("float64") for m in (a, b)]
    return float(np.corrcoef(*ranks)[0, 1])


def patch_mass(drawn):
    mass = np.abs(drawn)
    return float((mass * REGION).sum() / max(mass.sum(), 1e-12))


def points_at_patch(drawn):
    return float(REGION.ravel()[np.argmax(np.abs(drawn).ravel())])


def measure(seed):
    x, y, patched = digits_with_patch(seed)
    split = len(x) - 300
    model = cnn(seed)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:split], y[:split], epochs=15, batch_size=32, verbose=0)
    accuracy = model.evaluate(x[split:], y[split:], verbose=0)[1]
    cues = x[split:][(y[split:] == CUE_CLASS) & patched[split:]][:20]
    trained = Attributor(model).attribute(cues, list(METHODS), targets=CUE_CLASS)
    rows = {m: {k: [] for k in COLUMNS} for m in METHODS}
    for method in METHODS:
        rows[method]["trained"] = [patch_mass(d) for d in trained.drawn(method)]
        rows[method]["trained points"] = [points_at_patch(d) for d in trained.drawn(method)]
    for n in range(3):
        keras.utils.set_random_seed(100 * seed + n)
        randomised = Attributor(keras.models.clone_model(model)).attribute(
            cues, list(METHODS), targets=CUE_CLASS
        )
        for method in METHODS:
            row = rows[method]
            row["random"] += [patch_mass(d) for d in randomised.drawn(method)]
            row["random points"] += [points_at_patch(d) for d in randomised.drawn(method)]
            row["drawn"] += [
                rank_correlation(a, b) for a, b in zip(trained.drawn(method), randomised.drawn(method))
            ]
            row["magnitude"] += [
                rank_correlation(normalized(a), normalized(b))
                for a, b in zip(trained.maps[method], randomised.maps[method])
            ]
    return accuracy, rows


def main():
    results = {}
    for seed in (0, 1, 2):
        accuracy, rows = measure(seed)
        print(f"seed {seed}: test accuracy {accuracy:.2f}")
        results[seed] = rows
    print(f"\n{'method':<22}{'signed':>7}" + "".join(f"{HEADS[k]:>22}" for k in COLUMNS))
    for method in METHODS:
        cells = []
        for key in COLUMNS:
            means = [np.mean(results[s][method][key]) for s in results]
            cells.append(f"{np.mean(means):.2f} ({min(means):.2f} to {max(means):.2f})")
        print(
            f"{method:<22}{'yes' if method in SIGNED_METHODS else 'no':>7}"
            + "".join(f"{c:>22}" for c in cells)
        )
    print("\nPatch region: 3.5% of the image. Mean over 3 seeds (range of the seeds' means).")


if __name__ == "__main__":
    main()
