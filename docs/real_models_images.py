"""Rebuild the README's real-model pictures from `benchmarks/real_models.py` output.

- `real_models_featviz_grid.png`: the library's defaults on all classes,
  each labelled with EfficientNet-Lite0's probability of its class.
- `real_models_comparison.png`: the first classes, one row per method.

Usage:

    python benchmarks/real_models.py --out benchmarks/results/real_models
    python docs/real_models_images.py benchmarks/results/real_models
"""

import argparse
import glob
import json
import os
import shutil

from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
TILE = 128
LABEL_WIDTH = 110
HEADER = 16


def comparison(run_dir, methods, count):
    """`count` classes (columns) by `methods` (rows), tiles of `TILE` pixels."""
    report = json.load(open(os.path.join(run_dir, "real_models.json")))
    rows = {row["method"]: row for row in report["rows"]}
    methods = [m for m in methods if m in rows]
    font = ImageFont.load_default()
    sheet = Image.new("RGB", (LABEL_WIDTH + count * TILE, HEADER + len(methods) * TILE), "white")
    draw = ImageDraw.Draw(sheet)
    for r, method in enumerate(methods):
        files = sorted(
            f for f in glob.glob(os.path.join(run_dir, method, "*.png")) if not f.endswith("grid.png")
        )[:count]
        top5 = f"{rows[method]['independent_top5']:.0%} top-5"
        draw.text((4, HEADER + r * TILE + TILE // 2 - 12), method, fill="black", font=font)
        draw.text((4, HEADER + r * TILE + TILE // 2 + 2), top5, fill="black", font=font)
        for c, path in enumerate(files):
            tile = Image.open(path).convert("RGB").resize((TILE, TILE), Image.BILINEAR)
            sheet.paste(tile, (LABEL_WIDTH + c * TILE, HEADER + r * TILE))
            if r == 0:
                name = os.path.basename(path)[4:-4].replace("-", " ")
                draw.text((LABEL_WIDTH + c * TILE + 2, 2), name[:20], fill="black", font=font)
    return sheet


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", help="the --out folder of benchmarks/real_models.py")
    parser.add_argument("--classes", type=int, default=6, help="columns of the comparison (default: 6)")
    args = parser.parse_args()
    out = os.path.join(HERE, "images")
    os.makedirs(out, exist_ok=True)
    shutil.copy(
        os.path.join(args.run_dir, "featviz", "grid.png"), os.path.join(out, "real_models_featviz_grid.png")
    )
    sheet = comparison(args.run_dir, ["featviz", "lucid", "fourier-phase", "pixels"], args.classes)
    sheet.save(os.path.join(out, "real_models_comparison.png"))
    print(f"Wrote {out}/real_models_featviz_grid.png and real_models_comparison.png")


if __name__ == "__main__":
    main()
