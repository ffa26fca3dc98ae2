"""Rebuild the README's pictures from the output folder of `keras-featviz demo`.

- `demo_scratch_grid.png`, `demo_pretrained_grid.png`: the demo's final grids.
- `demo_cue_class_by_epoch.png`: the planted-cue class (class 0) as the
  training callback logged it, one tile per epoch, enlarged 2x.

Usage:

    keras-featviz demo --out featviz-demo
    python docs/readme_images.py featviz-demo
"""

import argparse
import glob
import os
import shutil
import sys

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def cue_class_strip(demo_dir, scale=2):
    """Class 0's callback image of every epoch, side by side."""
    tiles = [
        Image.open(sorted(glob.glob(os.path.join(epoch, "000_*.png")))[0]).convert("RGB")
        for epoch in sorted(glob.glob(os.path.join(demo_dir, "training", "epoch_*")))
    ]
    if not tiles:
        raise SystemExit(f"No callback images under {demo_dir}/training/: run keras-featviz demo first.")
    width, height = tiles[0].size
    strip = Image.new("RGB", (scale * width * len(tiles), scale * height))
    for n, tile in enumerate(tiles):
        strip.paste(tile.resize((scale * width, scale * height), Image.NEAREST), (n * scale * width, 0))
    return strip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("demo_dir", help="the --out folder of keras-featviz demo")
    parser.add_argument("--out", default=os.path.join(HERE, "images"))
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for mode in ("scratch", "pretrained"):
        shutil.copyfile(
            os.path.join(args.demo_dir, mode, "grid.png"), os.path.join(args.out, f"demo_{mode}_grid.png")
        )
    cue_class_strip(args.demo_dir).save(os.path.join(args.out, "demo_cue_class_by_epoch.png"))
    print(f"Wrote the README's pictures to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
