"""Rebuild the README's real-model picture from `benchmarks/real_models.py` output.

`real_models_comparison.png`: the first classes of one setup and seed, one
row per image maker, each row labelled with its scores on the judge of
another family (the first judge of the setup).

Usage:

    python benchmarks/real_models.py --setup dogs --seeds 0 1
    python docs/real_models_images.py benchmarks/results/real_models/dogs
"""

import argparse
import glob
import json
import os

from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
TILE = 128
LABEL_WIDTH = 120
HEADER = 16


def _score_line(row, judge):
    scores = row.get(judge, {})
    parts = [f"top-5 {scores['top5']:.0%}"] if "top5" in scores else []
    if "fine_grained" in scores:
        parts.append(f"breed {scores['fine_grained']:.0%}")
    return ", ".join(parts)


def comparison(setup_dir, seed, count):
    """`count` classes (columns) by the makers of one seed (rows), tiles of `TILE` pixels."""
    report = json.load(open(os.path.join(setup_dir, "real_models.json")))
    judge = report["judges"][0]["name"]
    rows = [row for row in report["rows"] if row["seed"] == seed]
    font = ImageFont.load_default()
    sheet = Image.new("RGB", (LABEL_WIDTH + count * TILE, HEADER + len(rows) * TILE), "white")
    draw = ImageDraw.Draw(sheet)
    for r, row in enumerate(rows):
        folder = os.path.join(setup_dir, f"seed{seed}", row["maker"])
        files = sorted(f for f in glob.glob(os.path.join(folder, "*.png")) if not f.endswith("grid.png"))
        top = HEADER + r * TILE + TILE // 2
        draw.text((4, top - 18), row["maker"], fill="black", font=font)
        draw.text((4, top - 4), f"{judge}:", fill="black", font=font)
        draw.text((4, top + 10), _score_line(row, judge), fill="black", font=font)
        for c, path in enumerate(files[:count]):
            tile = Image.open(path).convert("RGB").resize((TILE, TILE), Image.BILINEAR)
            sheet.paste(tile, (LABEL_WIDTH + c * TILE, HEADER + r * TILE))
            if r == 0:
                name = os.path.basename(path)[4:-4].replace("_", " ")
                draw.text((LABEL_WIDTH + c * TILE + 2, 2), name[:20], fill="black", font=font)
    return sheet


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("setup_dir", help="a setup folder under the --out of benchmarks/real_models.py")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--classes", type=int, default=8, help="columns (default: 8)")
    parser.add_argument("--name", default="real_models_comparison.png")
    args = parser.parse_args()
    out = os.path.join(HERE, "images")
    os.makedirs(out, exist_ok=True)
    comparison(args.setup_dir, args.seed, args.classes).save(os.path.join(out, args.name))
    print(f"Wrote {os.path.join(out, args.name)}")


if __name__ == "__main__":
    main()
