"""nn.check_layer: the lecture's layers pass; broken layers fail, each with the right words.

Every broken layer below is the lecture's layer with one classic mistake; the test asserts the
verdict (ok False), which gradient is marked wrong, and the words that name the mistake.
"""
import numpy as np
import pytest

from nn import layers
from nn.check_layer import LayerReport, check_layer
from nn.functions import sigmoid


def rng(seed=0):
    return np.random.default_rng(seed)


def away_from_zero(x, margin=0.1):
    return np.where(x >= 0, 1.0, -1.0) * (np.abs(x) + margin)


X = away_from_zero(rng(1).standard_normal((4, 3)))
W = rng(2).standard_normal((3, 2))
B = rng(3).standard_normal(2)
W_SQUARE = rng(4).standard_normal((3, 3))
B_SQUARE = rng(5).standard_normal(3)
LABELS = np.array([0, 2, 1, 1])


def wrong(report):
    """The gradients marked wrong, as a set of names."""
    assert isinstance(report, LayerReport)
    assert not report.ok, str(report)
    return {e.name for e in report.entries if not e.ok}


def words(report):
    return " ".join(report.problems).lower()


# ---- the lecture's layers pass ---------------------------------------------------------------

def test_mul_layer_apple_numbers():
    report = check_layer(layers.MulLayer(), 100, 2)  # the lecture's apple (ints are numbers)
    assert report.ok, str(report)
    assert [e.name for e in report.entries] == ["dx", "dy"]


def test_add_and_mul_layers_on_arrays():
    for layer in (layers.MulLayer(), layers.AddLayer()):
        report = check_layer(layer, X, rng(6).standard_normal((4, 3)))
        assert report.ok, str(report)
        assert not report.warnings


@pytest.mark.parametrize("layer", [layers.Relu(), layers.Sigmoid()])
def test_activations(layer):
    report = check_layer(layer, X)
    assert report.ok and not report.warnings, str(report)


def test_affine_finds_its_parameters_and_checks_them():
    report = check_layer(layers.Affine(W.copy(), B.copy()), X)
    assert report.ok, str(report)
    assert [(e.name, e.kind, e.of) for e in report.entries] == [
        ("dx", "input", "x"), ("dW", "parameter", "W"), ("db", "parameter", "b")]
    assert all(e.max_rel < 1e-8 for e in report.entries)  # far inside the 1e-6 tolerance


def test_affine_on_image_batches():
    x = rng(7).standard_normal((4, 3, 2, 2))
    report = check_layer(layers.Affine(rng(8).standard_normal((12, 2)), B.copy()), x)
    assert report.ok, str(report)
    assert report["dx"].shape == (4, 3, 2, 2)


@pytest.mark.parametrize("t", [LABELS, np.eye(3)[LABELS]], ids=["labels", "one-hot"])
def test_softmax_with_loss_checks_only_x(t):
    report = check_layer(layers.SoftmaxWithLoss(), X, t)
    assert report.ok, str(report)
    assert [e.name for e in report.entries] == ["dx"]
    notes = " ".join(report.notes)
    assert "dout = 1" in notes
    if t.dtype.kind == "f":  # one-hot rows are floats: said not to be checked
        assert "t is taken as constant" in notes


def test_float32_parameters_are_checked_in_float64_and_put_back():
    W32, b32 = W.astype(np.float32), B.astype(np.float32)
    layer = layers.Affine(W32, b32)
    report = check_layer(layer, X)
    assert report.ok, str(report)
    assert layer.W is W32 and layer.b is b32 and layer.W.dtype == np.float32
    assert "float64 copies" in " ".join(report.notes)


def test_the_callers_arrays_are_not_changed():
    x, W_, b_ = X.copy(), W.copy(), B.copy()
    check_layer(layers.Affine(W_, b_), x)
    assert np.array_equal(x, X) and np.array_equal(W_, W) and np.array_equal(b_, B)


def test_same_seed_same_report_other_seed_other_dout():
    a = check_layer(layers.Sigmoid(), X, seed=3)
    b = check_layer(layers.Sigmoid(), X, seed=3)
    c = check_layer(layers.Sigmoid(), X, seed=4)
    assert str(a) == str(b) and str(a) != str(c)


# ---- the lecture's own Relu: in place, harmless in a chain -> a warning, not a failure -------

class BookRelu:
    """Exactly the book's Relu (common/layers.py): backward zeroes dout in place."""

    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0
        dx = dout
        return dx


def test_book_relu_passes_with_the_in_place_warning():
    report = check_layer(BookRelu(), X)
    assert report.ok, str(report)
    text = " ".join(report.warnings).lower()
    assert "in place" in text and "harmless in a chain" in text and "used twice" in text
    assert "dout.copy()" in text
    assert not check_layer(BookRelu(), X, strict=True).ok


def test_why_in_place_is_wrong_where_a_value_is_used_twice():
    """x feeds two branches, relu(x) and relu(x - 0.5), summed by an AddLayer that hands the
    same dout array to both (no `* 1`): the book's Relu zeroes that shared array in place."""
    def gradient(relu_cls):
        r1, r2 = relu_cls(), relu_cls()
        r1.forward(X), r2.forward(X - 0.5)
        dout = np.ones_like(X)
        return r1.backward(dout) + r2.backward(dout)
    right = (X > 0) * 1.0 + (X - 0.5 > 0)
    assert np.array_equal(gradient(layers.Relu), right)
    assert not np.array_equal(gradient(BookRelu), right)


class SharedAdd(layers.AddLayer):
    def backward(self, dout):
        return dout, dout  # the book writes dout * 1: two arrays


class ReluInPlaceForward(layers.Relu):
    def forward(self, x):
        self.mask = (x <= 0)
        x[self.mask] = 0  # changes the caller's array
        return x


class BookSoftmaxWithLoss(layers.SoftmaxWithLoss):
    def backward(self, dout=1):
        return (self.y - self.t) / self.t.shape[0]  # the book ignores dout


def test_other_warnings_and_notes():
    report = check_layer(SharedAdd(), X, X + 1)
    assert report.ok and "one array object as gradients 1 and 2" in " ".join(report.warnings)
    report = check_layer(ReluInPlaceForward(), X)
    assert report.ok and "forward changed its input x in place" in " ".join(report.warnings)
    report = check_layer(BookSoftmaxWithLoss(), X, LABELS)
    assert report.ok and "ignores dout" in " ".join(report.notes)
    assert "ignores dout" not in " ".join(check_layer(layers.SoftmaxWithLoss(), X, LABELS).notes)


def test_wrt_says_which_inputs_the_gradients_belong_to():
    class OnlyDx(layers.MulLayer):
        def backward(self, dout):
            return dout * self.y

    y = X + 1
    assert check_layer(OnlyDx(), X, y).ok  # y taken as a constant, said in the notes
    assert "y is taken as constant" in " ".join(check_layer(OnlyDx(), X, y).notes)
    report = check_layer(OnlyDx(), X, y, wrt=(0, 1))
    assert not report.ok and "returned 1 gradient(s), but wrt names 2" in words(report)
    assert check_layer(layers.MulLayer(), X, y, wrt=(0, 1)).ok


# ---- broken layers: ok False, and the right words ---------------------------------------------

class BiasNotSummed(layers.Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout  # forgot np.sum(dout, axis=0)
        return dx


class BiasFirstRow(layers.Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout[0]
        return dx


class BiasMean(layers.Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = np.mean(dout, axis=0)
        return dx


class WeightTransposed(layers.Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = np.dot(dout.T, self.x)  # (out, in) instead of x.T @ dout (in, out)
        return dx


class InputWrongSide(layers.Affine):
    def backward(self, dout):
        super().backward(dout)
        return np.dot(dout, self.W)  # W where W.T belongs (W is square, so the shapes fit)


class SwappedMul(layers.MulLayer):
    def backward(self, dout):
        dx, dy = super().backward(dout)
        return dy, dx


class StaleRelu(layers.Relu):
    def forward(self, x):
        if self.mask is None:  # remembers the first call's mask only
            self.mask = (x <= 0)
        out = x.copy()
        out[x <= 0] = 0
        return out


class StaleSoftmaxWithLoss(layers.SoftmaxWithLoss):
    """The issue's 'stale softmax': y kept from the first batch."""

    def forward(self, x, t):
        y = self.y
        loss = super().forward(x, t)
        if y is not None:
            self.y = y
        return loss


class NoReshape(layers.Affine):
    def backward(self, dout):
        super().backward(dout)
        return np.dot(dout, self.W.T)  # forgot dx.reshape(*self.original_x_shape)


class SigmoidSignFlip(layers.Sigmoid):
    def backward(self, dout):
        return -super().backward(dout)


class SoftmaxNoBatchDivision(layers.SoftmaxWithLoss):
    def backward(self, dout=1):
        return (self.y - self.t) * dout


class Square:
    def forward(self, x):
        self.x = x
        return x ** 2

    def backward(self, dout):
        return dout * self.x  # forgot the 2


class AccumulatingAffine(layers.Affine):
    def backward(self, dout):
        dW = self.dW
        dx = super().backward(dout)
        if dW is not None:
            self.dW = dW + self.dW  # dW += ... across calls
        return dx


class ForgetsdW(layers.Affine):
    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.db = np.sum(dout, axis=0)
        return dx  # self.dW never set: stays None


class SigmoidFromInput(layers.Sigmoid):
    def forward(self, x):
        self.x = x
        return super().forward(x)

    def backward(self, dout):
        return dout * self.x * (1 - self.x)  # x where the output y belongs


def test_bias_not_summed_over_the_batch():
    report = check_layer(BiasNotSummed(W.copy(), B.copy()), X)
    assert wrong(report) == {"db"}
    assert "not summed over the batch" in words(report)
    assert "np.sum(dout, axis=0)" in words(report)
    assert report["db"].grad_shape == (4, 2) and report["db"].shape == (2,)


def test_bias_gradient_of_the_first_sample_only():
    report = check_layer(BiasFirstRow(W.copy(), B.copy()), X)
    assert wrong(report) == {"db"}
    assert "dout[0]" in words(report) and "first sample" in words(report)


def test_bias_gradient_mean_instead_of_sum():
    report = check_layer(BiasMean(W.copy(), B.copy()), X)
    assert wrong(report) == {"db"}
    assert "mean of dout" in words(report) and "4 times too small" in words(report)


def test_transposed_weight_gradient():
    report = check_layer(WeightTransposed(W.copy(), B.copy()), X)
    assert wrong(report) == {"dW"}
    text = words(report)
    assert "transpose on the wrong side" in text
    assert "dout.t @ x" in text and "x.t @ dout" in text
    assert report["dW"].grad_shape == (2, 3)


def test_transpose_on_the_wrong_side_with_matching_shapes():
    report = check_layer(InputWrongSide(W_SQUARE.copy(), B_SQUARE.copy()), X)
    assert wrong(report) == {"dx"}
    text = words(report)
    assert "transpose on the wrong side" in text
    assert "dout @ self.w" in text and "dout @ self.w.t" in text


def test_gradients_in_the_wrong_order():
    report = check_layer(SwappedMul(), X, away_from_zero(rng(9).standard_normal((4, 3))))
    assert wrong(report) == {"dx", "dy"}
    assert "wrong order" in words(report)


def test_gradients_in_the_wrong_order_for_numbers():
    report = check_layer(SwappedMul(), 100.0, 2.0)
    assert "wrong order" in words(report)


def test_cache_left_from_an_earlier_forward_call():
    report = check_layer(StaleRelu(), X)
    assert wrong(report) == {"dx"}
    assert "cache left from an earlier forward call" in words(report)


def test_stale_softmax():
    report = check_layer(StaleSoftmaxWithLoss(), X, LABELS)
    assert wrong(report) == {"dx"}
    assert "earlier forward call" in words(report)


def test_gradient_of_the_wrong_shape():
    x = rng(10).standard_normal((4, 3, 2, 2))
    report = check_layer(NoReshape(rng(11).standard_normal((12, 2)), B.copy()), x)
    assert wrong(report) == {"dx"}
    assert "shape (4, 12), but x has shape (4, 3, 2, 2)" in words(report)
    assert "reshape" in words(report)


def test_sign_flip():
    report = check_layer(SigmoidSignFlip(), X)
    assert wrong(report) == {"dx"} and "wrong sign" in words(report)


def test_missing_division_by_the_batch_size():
    report = check_layer(SoftmaxNoBatchDivision(), X, LABELS)
    assert wrong(report) == {"dx"}
    assert "batch size" in words(report) and "4 times" in words(report)


def test_factor_of_two():
    report = check_layer(Square(), X)
    assert wrong(report) == {"dx"} and "factor of 2 is missing" in words(report)


def test_gradient_accumulating_across_calls():
    report = check_layer(AccumulatingAffine(W.copy(), B.copy()), X)
    assert wrong(report) == {"dW"}
    assert "adds up across backward calls" in words(report) and "+=" in words(report)


def test_parameter_gradient_never_set():
    report = check_layer(ForgetsdW(W.copy(), B.copy()), X)
    assert wrong(report) == {"dW"}
    assert "dw is not an array after backward" in words(report)


def test_unrecognised_mistake_still_fails_with_the_numbers():
    report = check_layer(SigmoidFromInput(), X)
    assert wrong(report) == {"dx"}
    assert "differs from central differences" in words(report)
    index, backward, numerical = report["dx"].worst[0]
    y = sigmoid(X)
    x = X[index]  # backward gave dout·x(1 − x), central differences dout·y(1 − y)
    assert numerical / backward == pytest.approx(y[index] * (1 - y[index]) / (x * (1 - x)))
    assert report["dx"].max_rel > 0.1


def test_every_broken_layer_fails():
    """The collection, in one place: at least eight kinds of mistakes, all with ok False."""
    x4 = rng(10).standard_normal((4, 3, 2, 2))
    cases = [
        (BiasNotSummed(W.copy(), B.copy()), (X,)),
        (BiasFirstRow(W.copy(), B.copy()), (X,)),
        (BiasMean(W.copy(), B.copy()), (X,)),
        (WeightTransposed(W.copy(), B.copy()), (X,)),
        (InputWrongSide(W_SQUARE.copy(), B_SQUARE.copy()), (X,)),
        (SwappedMul(), (X, X + 1)),
        (StaleRelu(), (X,)),
        (StaleSoftmaxWithLoss(), (X, LABELS)),
        (NoReshape(rng(11).standard_normal((12, 2)), B.copy()), (x4,)),
        (SigmoidSignFlip(), (X,)),
        (SoftmaxNoBatchDivision(), (X, LABELS)),
        (Square(), (X,)),
        (AccumulatingAffine(W.copy(), B.copy()), (X,)),
        (ForgetsdW(W.copy(), B.copy()), (X,)),
        (SigmoidFromInput(), (X,)),
    ]
    for layer, inputs in cases:
        report = check_layer(layer, *inputs)
        assert not report.ok, type(layer).__name__
        assert report.problems and all(type(layer).__name__ in p for p in report.problems)


# ---- the report -----------------------------------------------------------------------------

def test_report_prints_as_a_table_and_as_html():
    report = check_layer(BiasNotSummed(W.copy(), B.copy()), X)
    text = str(report)
    assert text.startswith("check_layer(BiasNotSummed): FAILED, 1 of 3 gradient(s) wrong")
    assert "max abs err" in text and "WRONG" in text and "tolerance:" in text
    page = report._repr_html_()
    assert page.count("<tr>") == 4 and "not summed over the batch" in page
    assert "<script" not in page


def test_html_escapes_the_layer_name():
    Evil = type("<b>Evil", (layers.Sigmoid,), {})
    page = check_layer(Evil(), X)._repr_html_()
    assert "<b>Evil" not in page and "&lt;b&gt;Evil" in page


def test_worst_elements_are_the_largest_errors():
    report = check_layer(SigmoidSignFlip(), X)
    entry = report["dx"]
    errs = [abs(a - n) for _, a, n in entry.worst]
    assert errs == sorted(errs, reverse=True) and len(errs) == 3
    assert errs[0] == pytest.approx(entry.max_abs)


def test_errors_name_the_layer():
    with pytest.raises(TypeError, match="check_layer: int has no forward"):
        check_layer(3, X)
    with pytest.raises(TypeError, match=r"check_layer\(Sigmoid\): pass the inputs"):
        check_layer(layers.Sigmoid())


def test_the_tolerance_catches_a_small_mistake_and_passes_right_layers_with_margin():
    """rtol = 1e-6: a right layer lands near 1e-10, a gradient off by 1e-4 fails."""
    class SlightlyOff(layers.Sigmoid):
        def backward(self, dout):
            return super().backward(dout) * (1 + 1e-4)

    report = check_layer(SlightlyOff(), X)
    assert not report.ok and "1.0001 times the gradient" in words(report)
    for layer, inputs in ((layers.Sigmoid(), (X,)), (layers.Affine(W.copy(), B.copy()), (X,)),
                          (layers.SoftmaxWithLoss(), (X * 10, LABELS))):
        assert max(e.max_rel for e in check_layer(layer, *inputs).entries) < 1e-8


def _unchecked_layers():
    class Typo(layers.Affine):
        def backward(self, dout):
            dx = super().backward(dout)
            self.dw, self.dW = self.dW * 3, None  # the gradient left under another name
            del self.dW
            return dx

    class BookDicts:  # the book's TwoLayerNet style: params and grads in dicts
        def __init__(self):
            self.params = {"W": np.random.default_rng(0).standard_normal((3, 2))}
            self.grads = {"W": np.zeros((3, 2))}

        def forward(self, x):
            self.x = x
            return x @ self.params["W"]

        def backward(self, dout):
            return dout @ self.params["W"].T

    return [Typo(np.random.default_rng(1).standard_normal((3, 2)), np.zeros(2)), BookDicts()]


@pytest.mark.parametrize("layer", _unchecked_layers(), ids=["typo dw", "book dicts"])
def test_a_parameter_whose_gradient_was_not_found_is_a_problem(layer):
    report = check_layer(layer, np.random.default_rng(2).standard_normal((4, 3)))
    assert not report.ok
    assert any("was not checked" in p for p in report.problems), report.problems


def test_a_conv_bias_not_summed_is_told_the_right_axes():
    class Bias4d:
        """y = x + b[None, :, None, None] on (N, F, H, W); db forgets the batch axis."""
        def __init__(self):
            self.b = np.random.default_rng(0).standard_normal(3)

        def forward(self, x):
            return x + self.b[None, :, None, None]

        def backward(self, dout):
            self.db = dout.sum(axis=(2, 3))  # (N, F): the sum over N is missing
            return dout

    report = check_layer(Bias4d(), np.random.default_rng(1).standard_normal((2, 3, 4, 4)))
    assert not report.ok
    assert any("np.sum(dout, axis=(0, 2, 3))" in p for p in report.problems), report.problems


def test_a_random_forward_is_said_so():
    class Noisy:
        def __init__(self):
            self.rng = np.random.default_rng(0)

        def forward(self, x):
            self.mask = self.rng.random(x.shape) > 0.5
            return x * self.mask

        def backward(self, dout):
            return dout * self.mask

    report = check_layer(Noisy(), np.random.default_rng(1).standard_normal((4, 3)))
    assert not report.ok
    assert any("not deterministic" in p for p in report.problems), report.problems
