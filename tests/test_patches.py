"""The patch arithmetic of the batched convolutions (`keras_featviz.makers.patches`)."""

import numpy as np
import pytest

from keras_featviz.makers import patches

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_output_sizes_follow_padding_and_upsampling():
    assert patches.output_size((7, 5), 3, "valid", 2) == (12, 8)
    assert patches.output_size((7, 5), 3, "same", 1) == (7, 5)
    assert patches.output_size((None, 5), 3, "valid", 1) == (None, 3)


@pytest.mark.parametrize("kernel", [3, 4, 5])
def test_phase_taps_spread_every_kernel_tap_over_the_four_phases(kernel):
    taps = patches.phase_taps(kernel)
    m = patches.phase_window(kernel)
    assert taps.shape == (4 * m * m, kernel * kernel)
    # Each phase of the 2x upsampled output sees every tap exactly once.
    per_phase = taps.reshape(m, m, 4, kernel * kernel).sum(axis=(0, 1))
    np.testing.assert_array_equal(per_phase, np.ones((4, kernel * kernel)))


def test_the_one_hot_kernel_copies_each_offset_to_its_own_channel():
    kernel = patches.one_hot_patch_kernel(3, channels=2)
    assert kernel.shape == (3, 3, 2, 9)
    for offset in range(9):
        assert kernel[offset // 3, offset % 3, :, offset].tolist() == [1.0, 1.0]
    assert kernel.sum() == 2 * 9


def test_fused_upsampling_lays_out_fewer_values_than_enlarging_first():
    assert patches.fuses_upsampling((32, 32), 3, "valid", 2)
    assert not patches.fuses_upsampling((4, 4), 3, "valid", 2)  # too small to pay
    fused = patches.patch_values((32, 32), 8, 3, "valid", 2)
    plain = 62 * 62 * 9 * 8
    assert fused < plain
