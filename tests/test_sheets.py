"""Pictures for people (`keras_featviz.io.sheets`): the colour maps of the
attribution sheets and the labelled rows of tiles."""

import numpy as np
import pytest

from keras_featviz.io import sheets

# Runs on every backend in .ci/run (`-m backends`).
pytestmark = pytest.mark.backends


def test_the_diverging_map_is_blue_against_pale_at_zero_red_for():
    blue, pale, red = sheets.diverging_colors(np.array([-1.0, 0.0, 1.0]))
    assert blue[2] > blue[0] and red[0] > red[2]
    assert pale.min() > 240  # no hue where there is no evidence


def test_the_heat_map_gets_brighter_with_the_value():
    colours = sheets.heat_colors(np.linspace(0, 1, 5))
    brightness = colours.mean(axis=1)
    assert np.all(np.diff(brightness) > 0)


def test_signed_maps_keep_their_sign_and_magnitudes_lose_it():
    attribution = np.array([[-4.0, 0.0], [2.0, 4.0]])
    signed = sheets.normalized(attribution, signed=True)
    magnitude = sheets.normalized(attribution)
    assert signed[0, 0] < 0 < signed[1, 0] and signed.min() >= -1 and signed.max() <= 1
    assert magnitude[0, 0] == magnitude[1, 1] > 0
    assert not sheets.normalized(np.zeros((2, 2))).any()


def test_labelled_rows_lay_out_a_tile_per_image_and_a_caption_under_each():
    tile = np.zeros((16, 16, 3), "uint8")
    sheet = sheets.labelled_rows(
        [[tile, tile, tile], [tile, tile, tile]], [["a", "b", "c"], ["d", "e", "f"]], tile=32
    )
    one_line = sheets.labelled_rows([[tile, tile, tile]], [["a", "b", "c"]], tile=32)
    assert sheet.width == one_line.width and sheet.height == 2 * one_line.height
    wrapped = sheets.labelled_rows([[tile, tile, tile]], [["a", "b", "c"]], tile=32, columns=2)
    assert wrapped.width < one_line.width and wrapped.height == 2 * one_line.height
