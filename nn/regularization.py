"""The book's chapter-6 layers written by hand: `BatchNormalization` (6.3) and `Dropout` (6.4.3).

Like nn/layers.py, each layer has forward(), which keeps what backward() will need, and
backward(dout), which returns dL/d(input) (BatchNormalization also stores dgamma and dbeta).
Both take `train_flg` in forward, as the book's layers do: True while training, False to predict.

The code follows the book's common/layers.py line by line. Where the book and PyTorch differ, the
book's way is the default and a keyword gives torch's (the tests use it to match
torch.nn.BatchNorm1d to 1e-10):

=====================  =================================  ======================================
                       the book (default here)            torch.nn.BatchNorm1d
=====================  =================================  ======================================
eps                    10e-7 (= 1e-6)                     1e-5               (eps=1e-5)
momentum               0.9: running = 0.9·running + 0.1·x  0.1: the same update, written with
                                                          1 − momentum       (momentum=0.9)
running_var update     biased batch variance (÷ N)        unbiased (÷ N − 1) (unbiased_running_var=True)
running_var starts at  zeros                              ones               (running_var=np.ones(D))
=====================  =================================  ======================================

The batch statistics used to normalise in training are biased (÷ N) in both. The book's Dropout
is the original, non-inverted one: train multiplies by the mask, test by (1 − ratio); torch's
nn.Dropout (and nn.autograd_layers.Dropout here) scales by 1 / (1 − p) in training instead and is the
identity at test time. `Dropout(inverted=True)` gives torch's convention.
"""
from __future__ import annotations

import numpy as np

from .init import RngLike, as_rng

__all__ = ["BatchNormalization", "Dropout", "BOOK_EPS"]

BOOK_EPS = 10e-7  # the book's constant inside sqrt(var + eps); 1e-6, not 1e-7


class BatchNormalization:
    """Batch normalisation, eq. 6.7 and 6.8 of the book (Ioffe & Szegedy 2015, Algorithm 1):

        mu = mean_batch(x);  var = mean_batch((x − mu)²);  xn = (x − mu) / sqrt(var + eps)
        out = gamma · xn + beta

    Shapes: x (N, D), or (N, d1, d2, ...) flattened to (N, D = d1·d2·...) as the book does (so a
    (N, C, H, W) input is normalised per pixel and channel, not per channel as BatchNorm2d);
    gamma, beta, running_mean, running_var (D,). The output and dx have x's shape.

    In training the batch's mean and variance normalise x and the running averages move toward
    them: running = momentum · running + (1 − momentum) · batch (the book's momentum 0.9 is
    torch's 0.1). At test time (train_flg=False) the running averages are used instead.

    backward is the book's: the computational graph of fig. 6-17 walked back node by node
    (dbeta, dgamma, then through the division by std, the variance and the mean).

    gamma and beta are used as given (not copied): an optimizer that updates the arrays in place,
    e.g. params['gamma1'], changes this layer too, as with the book's Affine.
    """

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, momentum: float = 0.9,
                 running_mean: np.ndarray | None = None, running_var: np.ndarray | None = None,
                 *, eps: float = BOOK_EPS, unbiased_running_var: bool = False) -> None:
        if np.ndim(gamma) != 1 or np.shape(beta) != np.shape(gamma):
            raise ValueError(f"BatchNormalization needs gamma and beta of the same shape (D,), got "
                             f"gamma {np.shape(gamma)} and beta {np.shape(beta)}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNormalization: momentum must lie in [0, 1] (the book's 0.9 "
                             f"keeps 90 % of the running average), got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"BatchNormalization: eps must be > 0, got {eps!r}")
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.eps = eps
        self.unbiased_running_var = unbiased_running_var
        self.input_shape: tuple[int, ...] | None = None  # (N, D) or (N, d1, d2, ...)
        # the averages used at test time
        self.running_mean = running_mean
        self.running_var = running_var
        # what backward needs
        self.batch_size: int | None = None
        self.xc: np.ndarray | None = None
        self.xn: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.dgamma: np.ndarray | None = None
        self.dbeta: np.ndarray | None = None

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        x = np.asarray(x)
        self.input_shape = x.shape
        if x.ndim < 2 or int(np.prod(x.shape[1:])) != self.gamma.shape[0]:
            raise ValueError(f"BatchNormalization: x of shape {x.shape} does not fit gamma of "
                             f"shape {self.gamma.shape}: x must be (N, {self.gamma.shape[0]}) "
                             f"or (N, ...) with {self.gamma.shape[0]} numbers per sample")
        x = x.reshape(x.shape[0], -1)
        out = self._forward(x, train_flg)
        return out.reshape(*self.input_shape)

    def _forward(self, x: np.ndarray, train_flg: bool) -> np.ndarray:
        if self.running_mean is None:
            N, D = x.shape
            self.running_mean = np.zeros(D, dtype=x.dtype)
            self.running_var = np.zeros(D, dtype=x.dtype)

        if train_flg:
            N = x.shape[0]
            if N < 2 and self.unbiased_running_var:
                raise ValueError("BatchNormalization: the unbiased running variance needs at "
                                 f"least 2 samples per batch, got {N}")
            if N < 1:
                raise ValueError("BatchNormalization: an empty batch has no mean")
            mu = x.mean(axis=0)
            xc = x - mu
            var = np.mean(xc ** 2, axis=0)
            std = np.sqrt(var + self.eps)
            xn = xc / std

            self.batch_size = N
            self.xc = xc
            self.xn = xn
            self.std = std
            running = var * N / (N - 1) if self.unbiased_running_var else var
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * running
        else:
            xc = x - self.running_mean
            xn = xc / (np.sqrt(self.running_var + self.eps))

        out = self.gamma * xn + self.beta
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.xn is None:
            raise RuntimeError("BatchNormalization.backward needs a forward pass with "
                               "train_flg=True first (test-mode forward keeps nothing)")
        dout = np.asarray(dout)
        if dout.shape != self.input_shape:
            raise ValueError(f"BatchNormalization: dout of shape {dout.shape} does not match the "
                             f"input's shape {self.input_shape}")
        dout = dout.reshape(dout.shape[0], -1)
        dx = self._backward(dout)
        dx = dx.reshape(*self.input_shape)
        return dx

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        dbeta = dout.sum(axis=0)
        dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        dx = dxc - dmu / self.batch_size

        self.dgamma = dgamma
        self.dbeta = dbeta
        return dx


class Dropout:
    """Dropout (Srivastava et al. 2014), as the book's section 6.4.3 writes it:

        train: out = x · mask,  mask = (uniform(0, 1) > dropout_ratio), new for every forward
        test:  out = x · (1 − dropout_ratio)      (the expected value of the mask)
        backward: dx = dout · mask                (like ReLU: dropped units pass no gradient)

    x may have any shape; the mask has x's shape. The book draws from np.random.rand; here the
    mask comes from `rng` (a seed or a numpy Generator) so a run can be repeated exactly.
    `inverted=True` is torch.nn.Dropout's convention: train out = x · mask / (1 − ratio), test
    out = x; backward dout · mask / (1 − ratio).
    """

    def __init__(self, dropout_ratio: float = 0.5, *, rng: RngLike = None,
                 inverted: bool = False) -> None:
        if not 0.0 <= dropout_ratio < 1.0:
            raise ValueError(f"Dropout: dropout_ratio must lie in [0, 1) (the fraction of units "
                             f"dropped), got {dropout_ratio!r}")
        self.dropout_ratio = dropout_ratio
        self.rng = as_rng(rng)
        self.inverted = inverted
        self.mask: np.ndarray | None = None  # True where the unit is kept
        self.scale = 1.0 / (1.0 - dropout_ratio) if inverted else 1.0

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        x = np.asarray(x)
        if train_flg:
            self.mask = self.rng.random(x.shape) > self.dropout_ratio
            return x * self.mask * self.scale if self.inverted else x * self.mask
        return x * 1.0 if self.inverted else x * (1.0 - self.dropout_ratio)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.mask is None:
            raise RuntimeError("Dropout.backward needs a forward pass with train_flg=True first")
        if np.shape(dout) != self.mask.shape:
            raise ValueError(f"Dropout: dout of shape {np.shape(dout)} does not match the mask's "
                             f"shape {self.mask.shape}")
        return dout * self.mask * self.scale if self.inverted else dout * self.mask

    def __repr__(self) -> str:
        return f"Dropout(dropout_ratio={self.dropout_ratio}, inverted={self.inverted})"
