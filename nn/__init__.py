"""tracegrad's neural-network layer: autograd modules, the lecture's TwoLayerNet, weights I/O.

    >>> from nn import Sequential, Affine, ReLU, SoftmaxWithLoss
    >>> model = Sequential(Affine(2, 16, init="he", rng=0), ReLU(), Affine(16, 2, rng=1))

`from nn import Affine` is the autograd module (nn/autograd_layers.py; Module, Parameter and
Sequential are nn/module.py); the lecture's hand-written layers (whose backward is written out)
are `nn.layers.Affine`, `nn.layers.Relu`, `nn.layers.SoftmaxWithLoss`, ...
"""
from .autograd_layers import Affine, Linear, ReLU, Sigmoid, SoftmaxWithLoss, Tanh
from .functions import UnreliableGradientWarning
from .gradcheck import gradient_check, mean_abs_diff, numerical_gradient
from .module import Module, Parameter, Sequential
from .scalar import MLP, Layer, Neuron
from .two_layer_net import TwoLayerNet
from .weights import load_weights, save_weights

__all__ = ["Module", "Parameter", "Sequential", "Affine", "Linear", "ReLU", "Sigmoid", "Tanh",
           "SoftmaxWithLoss", "TwoLayerNet", "MLP", "Neuron", "Layer", "gradient_check",
           "mean_abs_diff", "numerical_gradient", "UnreliableGradientWarning", "save_weights",
           "load_weights"]

# chapter 6: BatchNorm and Dropout modules (hand-written layers: nn.regularization), the book's
# MultiLayerNet / MultiLayerNetExtend, and the training monitor
from .autograd_layers import BatchNorm, Dropout  # noqa: E402
from .monitor import Monitor  # noqa: E402
from .multi_layer_net import MultiLayerNet, MultiLayerNetExtend  # noqa: E402

__all__ += ["BatchNorm", "Dropout", "MultiLayerNet", "MultiLayerNetExtend", "Monitor"]

# gradient debugging: a hand-written layer against central differences; carrying models to
# PyTorch and back (torch is imported only when these are called)
from .check_layer import check_layer  # noqa: E402
from .torch_bridge import from_torch, to_torch  # noqa: E402

__all__ += ["check_layer", "to_torch", "from_torch"]

# chapter 7: Conv2d / MaxPool2d / Flatten modules (the book's hand-written Convolution and Pooling
# with im2col: nn.convolution) and the book's SimpleConvNet
from .conv_modules import Conv2d, Flatten, MaxPool2d  # noqa: E402
from .simple_conv_net import SimpleConvNet  # noqa: E402

__all__ += ["Conv2d", "MaxPool2d", "Flatten", "SimpleConvNet"]
