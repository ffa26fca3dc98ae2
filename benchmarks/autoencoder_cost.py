"""Training cost and reconstruction quality of the denoising autoencoder at 224x224.

Trains each autoencoder configuration on the same stream of random crops
and mirror images of natural photos (scikit-image's sample photos; the
cat and the coffee cup held out), for the same number of crops, and prints
side by side: seconds of training per image (the epochs after the first,
which also compiles), the held-out reconstruction error (PSNR in dB of
`reconstruct` on fixed crops of the held-out photos; higher is better) and
the speed-up over the paper's full-size network. Two references frame the
PSNR: the held-out crop averaged down 4x and enlarged back (the most a
network that makes images 4x smaller could reach), and one flat colour.

    python benchmarks/autoencoder_cost.py            # about 15 minutes on 2 cores
    python benchmarks/autoencoder_cost.py --crops 64 --configs 1:1 auto:auto   # a quick look

Writes `benchmarks/results/autoencoder_cost.json`.
"""

import argparse
import json
import os
import time

import keras
import numpy as np

import keras_featviz
from keras_featviz.io.folders import random_crop, shrunk
from keras_featviz.makers.autoencoder import CropBatches

SIDE = 224
TRAIN_PHOTOS = (
    "astronaut",
    "rocket",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "camera",
    "coins",
    "moon",
    "grass",
    "gravel",
    "brick",
)
HELD_OUT_PHOTOS = ("chelsea", "coffee")
RESULTS = os.path.join(os.path.dirname(__file__), "results", "autoencoder_cost.json")


def photos(names):
    """The photos as RGB, shrunk as `fit_images` shrinks a folder's."""
    import skimage.data

    images = []
    for name in names:
        image = getattr(skimage.data, name)()
        image = np.repeat(image[..., None], 3, -1) if image.ndim == 2 else image[..., :3]
        images.append(shrunk(image, 2 * SIDE))
    return images


def held_out_crops(count=16):
    rng = np.random.default_rng(1)
    images = photos(HELD_OUT_PHOTOS)
    return np.stack([random_crop(images[i % len(images)], (SIDE, SIDE), rng) for i in range(count)])


def psnr(a, b):
    error = np.mean((a.astype("float64") - b.astype("float64")) ** 2)
    return float(10 * np.log10(255.0**2 / error))


def references(test):
    pooled = keras.ops.average_pool(test.astype("float32"), 4, 4, padding="same")
    enlarged = keras.ops.image.resize(pooled, (SIDE, SIDE), interpolation="bilinear")
    flat = np.broadcast_to(test.mean(axis=(0, 1, 2)), test.shape)
    return {
        "averaged 4x and enlarged": psnr(test, np.clip(keras.ops.convert_to_numpy(enlarged), 0, 255)),
        "one flat colour": psnr(test, flat),
    }


def run(downsample, width, crops, batch_size, epochs, train, test):
    keras.utils.set_random_seed(0)
    dae = keras_featviz.DenoisingAutoencoder((SIDE, SIDE, 3), width=width, downsample=downsample, seed=0)
    dae.compile(optimizer=keras.optimizers.Adam(1e-3))
    batches = CropBatches(train, (SIDE, SIDE, 3), batch_size, crops_per_epoch=crops // epochs, seed=0)
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    dae.fit(batches, epochs=epochs, verbose=0, callbacks=[Timer()])
    seconds = sum(times[1:]) / (len(batches) * batch_size * (epochs - 1))
    return {
        "downsample": dae.downsample,
        "width": dae.width,
        "parameters": int(dae.count_params()),
        "seconds_per_image": seconds,
        "held_out_psnr": psnr(test, dae.reconstruct(test)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--configs",
        nargs="+",
        default=["1:1", "auto:auto", "4:1", "2:0.5"],
        help="DOWNSAMPLE:WIDTH pairs, `auto` for the library's default; the first is the "
        "reference (default: the paper's 1:1, then the library's defaults)",
    )
    parser.add_argument("--crops", type=int, default=384, help="training crops for each (default: 384)")
    parser.add_argument("--epochs", type=int, default=12, help="epochs the crops are spread over")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--out", default=RESULTS, help="the JSON file (default: %(default)s)")
    args = parser.parse_args()
    train, test = photos(TRAIN_PHOTOS), held_out_crops()
    rows = []
    for config in args.configs:
        downsample, width = config.split(":")
        downsample = downsample if downsample == "auto" else int(downsample)
        width = width if width == "auto" else float(width)
        rows.append(run(downsample, width, args.crops, args.batch_size, args.epochs, train, test))
        row = rows[-1]
        print(
            f"downsample {row['downsample']} width {row['width']:g}: "
            f"{row['seconds_per_image']:.3f} s/image, PSNR {row['held_out_psnr']:.2f} dB",
            flush=True,
        )
    base = rows[0]["seconds_per_image"]
    print(f"\n{args.crops} training crops of {SIDE}x{SIDE} each, batch {args.batch_size}")
    print(f"{'downsample':>10} {'width':>6} {'params':>10} {'s/image':>8} {'speed-up':>8} {'PSNR dB':>8}")
    for row in rows:
        row["speed_up"] = base / row["seconds_per_image"]
        print(
            f"{row['downsample']:>10} {row['width']:>6g} {row['parameters']:>10,} "
            f"{row['seconds_per_image']:>8.3f} {row['speed_up']:>7.1f}x {row['held_out_psnr']:>8.2f}"
        )
    frames = references(test)
    for name, value in frames.items():
        print(f"reference, {name}: PSNR {value:.2f} dB")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as file:
        json.dump(
            {
                "side": SIDE,
                "crops": args.crops,
                "batch_size": args.batch_size,
                "rows": rows,
                "references": frames,
            },
            file,
            indent=2,
        )
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
