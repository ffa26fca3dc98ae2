"""Does each image maker show the demo's planted square, over seeds?

For each seed, the demo's classifier (its defaults, the square on class 0)
and its autoencoder are trained as `keras-featviz demo` trains them (the
demo's callbacks leave training unchanged, so they are left out). Then
all 18 classes are visualized from three starts (visualizer seeds `seed`,
`seed + 1000`, `seed + 2000`) by each image maker below, and the cue class's
contrast (`demo.cue_scores` for the square: its top-left corner's
brightness minus the other classes' mean, from 0 to 1; the demo says the
images show the cue above `demo.CUE_SHOWS`) is printed per start, with the
median and the share of classes first. Writes a sheet per seed (classes 0
to 5, a row per maker and start, each captioned with its corner's
brightness) to `--sheets`.

    python benchmarks/demo_cue_modes.py --seeds 0 1 2 3   # about 7 minutes a seed on 2 cores
    python benchmarks/demo_cue_modes.py --makers pretrained "pretrained + standard transforms"
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from keras_featviz import defaults  # noqa: E402
from keras_featviz.demo import cue_scores, train_shapes_autoencoder, train_shapes_classifier  # noqa: E402
from keras_featviz.io.sheets import labelled_rows  # noqa: E402
from keras_featviz.visualizer import FeatureVisualizer  # noqa: E402

MAKERS = {
    "pretrained": {"generator": "pretrained"},
    "pretrained + standard transforms": {"generator": "pretrained", "transforms": "standard"},
    "defaults (Lucid's image)": {},
}
STARTS = 3
CUE_CLASS = 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--makers", nargs="+", default=list(MAKERS), choices=list(MAKERS))
    parser.add_argument("--sheets", default="/tmp/featviz-demo-cue-modes")
    args = parser.parse_args()
    Path(args.sheets).mkdir(parents=True, exist_ok=True)
    classes = list(range(defaults.DEMO_CLASSES))
    for seed in args.seeds:
        began = time.time()
        model, (x, _) = train_shapes_classifier(
            defaults.DEMO_SIDE, defaults.DEMO_CLASSES, defaults.DEMO_TRAIN, defaults.DEMO_EPOCHS, seed,
            CUE_CLASS, True, verbose=0,
        )  # fmt: skip
        dae = train_shapes_autoencoder(x, defaults.DEMO_SIDE, defaults.DEMO_DAE_EPOCHS, seed=seed, verbose=0)
        print(f"seed {seed}: classifier and autoencoder trained in {time.time() - began:.0f} s", flush=True)
        rows, captions, titles = [], [], []
        for name in args.makers:
            options = MAKERS[name]
            if options.get("generator") == "pretrained":
                options = dict(options, decoder=dae)
            contrasts, firsts = [], []
            for start in range(STARTS):
                result = FeatureVisualizer(model, seed=seed + 1000 * start, **options).visualize(
                    classes, verbose=0
                )
                scores = cue_scores(result.images, "square")
                contrasts.append(scores[CUE_CLASS] - np.delete(scores, CUE_CLASS).mean())
                firsts.append(result.success_rate)
                rows.append(list(result.images[:6]))
                captions.append([f"class {c}: {scores[c]:.2f}" for c in range(6)])
                titles.append(f"{name}, start {start}")
            print(
                f"  {name:<34} {' '.join(f'{c:+.2f}' for c in contrasts)}  median {np.median(contrasts):+.2f}"
                f"  first {np.mean(firsts):.0%}",
                flush=True,
            )
        labelled_rows(rows, captions, titles, tile=80).save(Path(args.sheets) / f"seed{seed}.png")


if __name__ == "__main__":
    main()
