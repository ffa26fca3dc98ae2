"""Patch arithmetic of the batched convolution `layers.TargetConv2D`.

Pure functions of shapes and kernel sizes, with no layer state: the layer
uses them to lay out its patches, and `keras_featviz.optimization.memory` to count them.

A nearest 2x upsampling followed by a valid k x k convolution equals four
smaller "phase" convolutions of the un-enlarged input: output pixel
`2a + p` sees input pixels `a + (p + t) // 2` for taps `t`, a window of
`k // 2 + 1` pixels whose kernel sums the taps landing on the same pixel.
"""

import math

import numpy as np

# Below this many output positions, building the phase kernels costs more
# than the fused convolution saves (measured at 6x6 and 10x10 outputs).
FUSE_MIN_POSITIONS = 16 * 16


def output_size(input_size, kernel_size, padding, upsample):
    """The `(height, width)` of a convolution's output (`None` stays `None`)."""
    shrink = 0 if padding == "same" else kernel_size - 1
    return tuple(None if size is None else size * upsample - shrink for size in input_size)


def fuses_upsampling(input_size, kernel_size, padding, upsample):
    """Whether a batched step folds the 2x upsampling into the kernel."""
    if upsample == 1 or padding != "valid" or None in tuple(input_size):
        return False
    height, width = output_size(input_size, kernel_size, padding, upsample)
    return height * width >= FUSE_MIN_POSITIONS


def phase_window(kernel_size):
    """The side of a phase kernel: `k // 2 + 1` input pixels."""
    return kernel_size // 2 + 1


def phase_taps(kernel_size):
    """`(4 * m * m, k * k)` 0/1 matrix from a k x k kernel to its phase kernels.

    Row `(s, r, p, q)` sums the taps `(t, u)` with `(p + t) // 2 == s` and
    `(q + u) // 2 == r`: those that a nearest 2x upsampling lays on input
    pixel `(a + s, b + r)` for output pixel `(2a + p, 2b + q)`.
    """
    k, m = kernel_size, phase_window(kernel_size)
    one_axis = np.zeros((2, m, k), "float32")
    for phase in range(2):
        for tap in range(k):
            one_axis[phase, (phase + tap) // 2, tap] = 1.0
    return np.einsum("psa,qrb->srpqab", one_axis, one_axis).reshape(4 * m * m, k * k)


def one_hot_patch_kernel(kernel_size, channels):
    """Depthwise kernels `(k, k, c, k * k)` that copy each offset to its own channel."""
    k = kernel_size
    one_hot = np.zeros((k, k, channels, k * k), "float32")
    for offset in range(k * k):
        one_hot[offset // k, offset % k, :, offset] = 1.0
    return one_hot


def patch_values(input_size, channels, kernel_size, padding, upsample):
    """Floats per target of the patches a batched step lays out.

    The enlarged input, when the upsampling is not fused, is counted in.
    """
    height, width = output_size(input_size, kernel_size, padding, upsample)
    if fuses_upsampling(input_size, kernel_size, padding, upsample):
        m = phase_window(kernel_size)
        return ((height + 1) // 2) * ((width + 1) // 2) * m * m * channels
    patches = height * width * kernel_size**2 * channels
    if upsample == 1:
        return patches
    return patches + math.prod(input_size) * upsample**2 * channels
