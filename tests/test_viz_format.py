"""viz's number, shape and array formatting: short and stable, whatever float noise does."""
import numpy as np
import pytest

from viz import format_number
from viz.format import escape_label, format_array_rows, format_shape


@pytest.mark.parametrize("x, text", [
    (100 * 2 * 1.1, "220"),  # 220.00000000000003
    (1.1 * 2, "2.2"),  # 2.2000000000000002
    (100 * 1.1, "110"),  # 110.00000000000001
    (0.1 + 0.2, "0.3"),
    (1.1e-05, "1.1e-05"),
    (-0.5, "-0.5"),
    (-0.0, "0"),
    (200, "200"),
    (1234567.0, "1.23457e+06"),
    (np.float32(0.1), "0.1"),
    (np.float64(2.5), "2.5"),
    (np.array(3.0), "3"),
    (float("inf"), "inf"),
    (float("nan"), "nan"),
])
def test_format_number(x, text):
    assert format_number(x) == text


def test_format_number_rejects_what_is_not_a_number():
    for bad in ("1", True, None, [1.0]):
        with pytest.raises(TypeError):
            format_number(bad)


def test_format_shape_like_the_lecture():
    assert format_shape((2, 3)) == "(2, 3)"
    assert format_shape((2,)) == "(2,)"
    assert format_shape(()) == "()"
    assert format_shape((2, 3), np.float64) == "(2, 3)"
    assert format_shape((2, 3), np.float32) == "(2, 3) float32"


def test_small_arrays_show_values_large_ones_do_not():
    assert format_array_rows(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7, 8, 9.5]])) == \
        ["[1, 2, 3]", "[4, 5, 6]", "[7, 8, 9.5]"]
    assert format_array_rows(np.array([0.1 + 0.2, -1.0])) == ["[0.3, -1]"]
    assert format_array_rows(np.ones((4, 3))) == []  # 12 values
    assert format_array_rows(np.ones(10)) == []
    assert format_array_rows(np.ones((1, 1, 1))) == []  # 3-d: never


def test_escape_label_keeps_html_and_dot_escapes_out():
    assert escape_label('<x>&"') == "&lt;x&gt;&amp;&quot;"
    assert escape_label("a\\Nb") == "a\\\\Nb"
