"""Input preprocessing between the generator and the classifier.

Generated images are RGB 0-255 pixels; a classifier may expect another
range (`keras.applications` models each have their own). A preprocessing is
a callable on tensors, or one of these names:

| name | what the classifier receives | used by |
| --- | --- | --- |
| `None` / `"none"` | pixels 0-255 unchanged | models with their own `Rescaling` |
| `"unit"` | pixels / 255, in `[0, 1]` | most hand-made classifiers |
| `"tf"` | pixels / 127.5 - 1, in `[-1, 1]` | MobileNet, Inception, Xception |
| `"caffe"` | BGR, ImageNet mean subtracted | VGG16, VGG19, ResNet50 |
| `"torch"` | pixels / 255, ImageNet mean and std | DenseNet |

`keras.applications` module names (`"vgg16"`, `"resnet50"`,
`"mobilenet_v2"`, ...) map to their mode.
"""

from __future__ import annotations

from collections.abc import Callable

from keras import ops

PREPROCESSING_MODES = ("none", "unit", "tf", "caffe", "torch")
APPLICATION_MODES = {
    "vgg16": "caffe",
    "vgg19": "caffe",
    "resnet": "caffe",
    "resnet50": "caffe",
    "resnet_v2": "tf",
    "mobilenet": "tf",
    "mobilenet_v2": "tf",
    "mobilenet_v3": "none",
    "inception_v3": "tf",
    "inception_resnet_v2": "tf",
    "xception": "tf",
    "nasnet": "tf",
    "densenet": "torch",
    "efficientnet": "none",
    "efficientnet_v2": "none",
    "convnext": "none",
}
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def _identity(x):
    return x


def _unit(x):
    return x / 255.0


def _tf(x):
    return x / 127.5 - 1.0


def _caffe(x):
    return ops.flip(x, axis=-1) - ops.convert_to_tensor(_CAFFE_MEAN_BGR, x.dtype)


def _torch(x):
    mean = ops.convert_to_tensor(_IMAGENET_MEAN, x.dtype)
    std = ops.convert_to_tensor(_IMAGENET_STD, x.dtype)
    return (x / 255.0 - mean) / std


_FUNCTIONS = {"none": _identity, "unit": _unit, "tf": _tf, "caffe": _caffe, "torch": _torch}


def get(preprocess: str | Callable | None, channels: int | None = 3) -> Callable | None:
    """Resolve `preprocess` to a callable on a `(batch, h, w, c)` tensor.

    Args:
        preprocess: `None`, a mode name, a `keras.applications` module name,
            or a callable.
        channels: Int, channels of the classifier input; the ImageNet modes
            need 3. Defaults to `3`.

    Returns:
        A callable.

    Raises:
        ValueError: if the name is unknown, or an ImageNet mode is asked for
            a classifier without 3 channels.
    """
    if preprocess is None:
        return _identity
    if callable(preprocess):
        return preprocess
    name = str(preprocess).lower()
    mode = APPLICATION_MODES.get(name, name)
    if mode not in _FUNCTIONS:
        raise ValueError(
            f"Unknown preprocessing: use one of {list(PREPROCESSING_MODES)}, a "
            f"keras.applications name ({sorted(APPLICATION_MODES)}) or a "
            f"callable. Received: preprocess={preprocess!r}"
        )
    if mode in ("caffe", "torch") and channels != 3:
        raise ValueError(
            f"Preprocessing {mode!r} needs a 3-channel (RGB) classifier "
            f"input. Received: preprocess={preprocess!r} for {channels} channels"
        )
    return _FUNCTIONS[mode]
