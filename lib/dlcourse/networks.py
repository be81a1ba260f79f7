"""Multi-layer networks (lecture 2): a `Model` with hidden layers, trained through the one `Objective`.

A network with layer sizes p → H_1 → ... → H_L → K: hidden layer l computes, unit by
unit, A_k = g(β_{0k} + Σ_j β_{jk} A_j) from the layer before it (A = X for the first),
and the output layer is lecture 1's model of the last A's: scores Z, then identity
(regression), sigmoid or softmax. β concatenates the layers' (fan_in+1)×fan_out
matrices W_l, each flattened row by row (row 0: the biases, never penalized).
Its F(β) is not convex: swapping two hidden units leaves F unchanged.
"""

import numpy as np

from . import losses
from ._validation import as_design_matrix, as_generator, as_parameter_vector, n_classes_of, positive_int
from .functions import activation as _activation
from .models import Layer, Model, add_intercept
from .objectives import Objective

OUTPUT_LOSSES = {"identity": losses.SQUARED_ERROR, "sigmoid": losses.LOGISTIC, "softmax": losses.CROSS_ENTROPY}


class Network(Model):
    """A feed-forward network: inputs → hidden layers with activation g → output layer.

    Parameters
    ----------
    n_features : p;  hidden : the hidden layer sizes (H_1, ..., H_L), possibly empty
    n_outputs : K (one score per class for softmax; 1 for identity/sigmoid)
    activation : g of the hidden units ("tanh", "relu", "sigmoid", "identity")
    output : "softmax" (classification), "sigmoid" (two classes) or "identity" (regression)
    """

    def __init__(self, n_features, hidden=(4,), n_outputs=2, *, activation="tanh", output="softmax",
                 feature_names=None):
        super().__init__(n_features=n_features, n_outputs=n_outputs, feature_names=feature_names)
        if output not in OUTPUT_LOSSES:
            raise ValueError(f"output: expected one of {sorted(OUTPUT_LOSSES)}, got {output!r}")
        if output == "softmax" and self.n_outputs < 2:
            raise ValueError(f"n_outputs: a softmax output needs at least 2 classes, got {self.n_outputs}")
        if output != "softmax" and self.n_outputs != 1:
            raise ValueError(f"n_outputs: a {output} output has 1 unit, got {self.n_outputs}")
        self.hidden = tuple(positive_int(h, "hidden") for h in hidden)
        self.g = _activation(activation)
        self.output = output
        self.sizes = [self.n_features, *self.hidden, self.n_outputs]
        self.shapes = [(a + 1, b) for a, b in zip(self.sizes[:-1], self.sizes[1:])]     # W_l: (fan_in+1, fan_out)
        ends = np.cumsum([r * c for r, c in self.shapes])
        self.blocks = [np.arange(e - r * c, e) for (r, c), e in zip(self.shapes, ends)]  # where W_l sits in β

    @property
    def n_params(self):
        return int(sum(r * c for r, c in self.shapes))

    @property
    def penalized(self):
        return np.concatenate([np.arange(r * c) >= c for r, c in self.shapes])   # False on each bias row

    @property
    def layers(self):
        hidden = [Layer(h, "hidden", self.g.name, "A") for h in self.hidden]
        return [Layer(self.n_features, "input"), *hidden, Layer(self.n_outputs, "output", self.output, "Z")]

    def weights(self, beta):
        """The matrices W_l, each (fan_in+1, fan_out), row 0 the biases (views into β)."""
        beta = as_parameter_vector(beta, self.n_params)
        return [beta[idx].reshape(shape) for idx, shape in zip(self.blocks, self.shapes)]

    def init(self, *, seed=0):
        """Random β: weights N(0, 1/fan_in) (so Z stays of order 1 in every layer), biases 0.

        seed : an int or a numpy Generator. All zeros would be a bad start: every hidden unit
        would get the same gradient and stay identical to the others forever.
        """
        rng = as_generator(seed)
        parts = [np.vstack([np.zeros((1, c)), rng.standard_normal((r - 1, c)) / np.sqrt(r - 1)])
                 for r, c in self.shapes]
        return np.concatenate([p.ravel() for p in parts])

    def forward(self, X1, beta):
        """Scores Z of the output layer; the cache keeps each layer's input Ã and sums Z."""
        Ws = self.weights(beta)
        inputs, sums = [X1], []
        for W in Ws[:-1]:
            Z = inputs[-1] @ W                                 # (n, H_l)
            sums.append(Z)
            inputs.append(add_intercept(self.g(Z)))            # (n, H_l + 1): [1, A]
        Z = inputs[-1] @ Ws[-1]                                # (n, K)
        return (Z if self.output == "softmax" else Z[:, 0]), (Ws, inputs, sums)

    def backward(self, cache, dZ):
        """Backpropagation: ∂F/∂W_l = Ã_lᵀ ∂F/∂Z_l, and ∂F/∂Z_{l−1} = (∂F/∂Z_l W_lᵀ) ⊙ g'(Z_{l−1})."""
        Ws, inputs, sums = cache
        dZ = dZ.reshape(dZ.shape[0], -1)                       # (n, K)
        grads = [None] * len(Ws)
        for ell in range(len(Ws) - 1, -1, -1):
            grads[ell] = inputs[ell].T @ dZ                    # (fan_in+1, fan_out)
            if ell > 0:
                dA = dZ @ Ws[ell][1:].T                        # the bias row has no input below it
                dZ = dA * self.g.derivative(sums[ell - 1], inputs[ell][:, 1:])
        return np.concatenate([g.ravel() for g in grads])

    def __repr__(self):
        return (f"Network({' → '.join(map(str, self.sizes))}, activation={self.g.name}, "
                f"output={self.output}, {self.n_params} parameters)")


def collapse_linear(model, beta):
    """For a network of identity (linear) units: the β of the ONE linear layer it equals.

    Composing Z = X̃W_1, then [1, Z]W_2, ... gives X̃(W_1 W̃_2 ...): a network without a
    non-linear activation is just lecture 1's linear model. Returns β of shape ((p+1)·K,).
    """
    if model.g.name != "identity":
        raise ValueError(f"model: expected a network of identity units, got activation {model.g.name!r}")
    Ws = model.weights(beta)
    M = Ws[0]                                           # (p+1, H_1)
    for W in Ws[1:]:
        M = np.hstack([np.eye(M.shape[0], 1), M]) @ W   # [1, Z] W: the bias row meets the constant 1
    return M.ravel()


def permute_hidden(model, beta, order, *, layer=0):
    """β with the units of hidden layer `layer` reordered by `order`: a different β, the same function.

    The columns of W_layer and the matching rows of W_{layer+1} move together, so every
    prediction — and F(β) — is unchanged. F therefore has many equal minima: it is not convex.
    """
    order = np.asarray(order)
    if layer >= len(model.hidden) or sorted(order.tolist()) != list(range(model.hidden[layer])):
        raise ValueError(f"order: expected a permutation of the {model.hidden[layer] if layer < len(model.hidden) else 0} "
                         f"units of hidden layer {layer}, got {order.tolist()}")
    Ws = [W.copy() for W in model.weights(beta)]
    Ws[layer] = Ws[layer][:, order]
    Ws[layer + 1][1:] = Ws[layer + 1][1:][order]
    return np.concatenate([W.ravel() for W in Ws])


def pass_costs(model, n):
    """Multiply-adds of one forward and one backward pass over n observations: (forward, backward).

    Forward: one product Ã_l W_l per layer. Backward: per layer Ã_lᵀ ∂F/∂Z_l (the gradient) and,
    below the output, ∂F/∂Z_l W_lᵀ (passing the error down): at most twice the forward cost.
    """
    forward = sum(n * r * c for r, c in model.shapes)
    backward = sum(n * r * c for r, c in model.shapes) + sum(n * (r - 1) * c for r, c in model.shapes[1:])
    return forward, backward


def dropout(A, p, *, seed=0, training=True):
    """Dropout on the activations A: while training, each unit is zeroed with probability p and the
    survivors are scaled by 1/(1 − p), so E[output] = A; at prediction time A passes unchanged.

    Returns (output, mask); seed: an int or a numpy Generator.
    """
    A = np.asarray(A, dtype=np.float64)
    if not 0 <= p < 1:
        raise ValueError(f"p: expected a probability in [0, 1), got {p!r}")
    if not training or p == 0:
        return A, np.ones(A.shape, dtype=bool)
    keep = as_generator(seed).random(A.shape) >= p
    return np.where(keep, A / (1.0 - p), 0.0), keep


def neural_network(X, y, hidden=(4,), *, activation="tanh", output="softmax", n_classes=None, lam=0.0,
                   penalty="ridge"):
    """F(β) for a network with hidden layer sizes `hidden`: an `Objective` like lecture 1's.

    output="softmax" (default): labels 0..K−1 and cross-entropy; "sigmoid": labels 0/1 and the
    logistic loss; "identity": a numeric response and squared error. λ·ridge = weight decay.
    """
    X = as_design_matrix(X, "X")
    if output == "softmax":
        K = n_classes_of(y) if n_classes is None else n_classes
    else:
        K = 1
    model = Network(X.shape[1], hidden, K, activation=activation, output=output)
    return Objective(model, X, y, loss=OUTPUT_LOSSES[output], lam=lam, penalty=penalty,
                     name=f"network {' → '.join(map(str, model.sizes))} ({model.g.name})")


__all__ = ["Network", "neural_network", "collapse_linear", "permute_hidden", "pass_costs", "dropout",
           "OUTPUT_LOSSES"]
