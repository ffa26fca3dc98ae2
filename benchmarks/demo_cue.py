"""Does `keras-featviz demo` reveal its planted cue on every run? Seeds side by side.

Runs the demo itself (`demo.run_demo`, every default) once per seed, into a
temporary folder, and prints what it found:
- `recall w/o` and `moved`: the cue class's test images the classifier
  recognises without the white square, and with it moved to the bottom
  right (its reliance on the cue, and on its place);
- `pull`: other classes' test images it calls the cue class once the square
  is drawn on them;
- `first`: the share of classes ranked first on their own image, scratch
  and pretrained;
- `sweep`: the cue figure of the sweep's image alone (what the demo
  printed before it judged more than one image);
- `cue`: the demo's figure, the median over `defaults.DEMO_CUE_SAMPLES`
  scratch images of the cue class, and how many of them are above
  `demo.CUE_SHOWS` (0.1);
- `callback`: the cue figure of the training callback's image of the cue
  class at the last epoch, and the first epoch from which it stayed above
  0.1.

`--load N` keeps N processes multiplying matrices beside the demo, to see
whether a busy machine changes the verdict.

    python benchmarks/demo_cue.py --seeds 0 1 2 3 4
    python benchmarks/demo_cue.py --seeds 0 1 2 3 4 --load 2
"""

import argparse
import contextlib
import io
import multiprocessing
import tempfile
import time

import numpy as np

from keras_featviz.demo import CUE_SHOWS, run_demo


def _busy(stop):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((512, 512))
    while not stop.is_set():
        a = np.tanh(a @ a)


def _shown_since(epochs):
    """The first epoch (1-based) from which every figure is above `CUE_SHOWS`, or `None`."""
    since = None
    for epoch, figure in epochs:
        if figure <= CUE_SHOWS:
            since = None
        elif since is None:
            since = epoch + 1
    return since


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--load", type=int, default=0, help="busy processes beside the demo (default: 0)")
    args = parser.parse_args()
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=_busy, args=(stop,), daemon=True) for _ in range(args.load)]
    for burner in burners:
        burner.start()
    print(f"load: {args.load} busy processes")
    print(
        f"{'seed':>4} {'recall w/o':>10} {'moved':>6} {'pull':>5} {'first':>9} {'sweep':>6}  cue (each image)"
    )
    figures = []
    try:
        for seed in args.seeds:
            began = time.time()
            with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
                results, found = run_demo(out=out, seed=seed, verbose=0)
            first = "/".join(f"{r.success_rate:.0%}" for r in results.values())
            each = " ".join(f"{c:+.2f}" for c in found.contrasts)
            epochs = list(found.by_epoch.items())
            since = _shown_since(epochs)
            above = int(np.sum(found.contrasts > CUE_SHOWS))
            print(
                f"{seed:>4} {found.recall:>10.0%} {found.moved:>6.0%} {found.pull:>5.0%} {first:>9} "
                f"{found.contrasts[0]:>+6.2f}  {found.contrast:+.2f}, {above}/{len(found.contrasts)} "
                f"({each}) {'shows' if found.shows else 'DOES NOT SHOW'}; callback {epochs[-1][1]:+.2f} "
                f"(above {CUE_SHOWS} from epoch {since})  [{time.time() - began:.0f} s]",
                flush=True,
            )
            figures.append((found.contrast, found.contrasts[0], found.shows, epochs[-1][1]))
    finally:
        stop.set()
        for burner in burners:
            burner.join()
    cues, sweeps, shows, callback = np.array(figures).T
    print(
        f"cue (medians): mean {cues.mean():+.2f}, min {cues.min():+.2f}, shows on {int(shows.sum())}/{len(shows)} seeds; "
        f"the sweep's image alone above {CUE_SHOWS} on {int(np.sum(sweeps > CUE_SHOWS))}/{len(sweeps)}; "
        f"the callback's last image on {int(np.sum(callback > CUE_SHOWS))}/{len(callback)} (min {callback.min():+.2f})"
    )


if __name__ == "__main__":
    main()
