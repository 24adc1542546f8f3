"""Keras-style recurrent dropout for PyTorch's one-layer RNN, GRU and LSTM.

Keras's ``recurrent_dropout`` drops units of the hidden state that is fed
back at each step, with one mask per sequence (the variational dropout of
Gal and Ghahramani). PyTorch's fused layers have no such option (their
``dropout`` acts between stacked layers), so :class:`RecurrentDropout` runs
the wrapped layer's own weights one step at a time with the mask applied to
the hidden state going into each step, in training mode; in eval mode, or
with p = 0, it is the wrapped layer itself. :func:`with_recurrent_dropout`
swaps it into any model built on such a layer, so the experiment can add it
to a student's network without the student writing it.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

_STEPS = {"LSTM": torch.lstm_cell, "GRU": torch.gru_cell, "RNN_TANH": torch.rnn_tanh_cell, "RNN_RELU": torch.rnn_relu_cell}


class RecurrentDropout(nn.Module):
    """Wraps a one-layer, one-direction nn.RNN / nn.GRU / nn.LSTM; same inputs and outputs."""

    def __init__(self, layer: nn.RNNBase, p: float) -> None:
        super().__init__()
        if not isinstance(layer, nn.RNNBase) or layer.num_layers != 1 or layer.bidirectional:
            raise ValueError(f"layer: expected a one-layer, one-direction nn.RNN, nn.GRU or nn.LSTM, got {layer!r}")
        if not 0 <= p < 1:
            raise ValueError(f"p: expected a probability in [0, 1), got {p}")
        self.layer, self.p = layer, p

    def forward(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """x: (N, L, F) when batch_first, else (L, N, F); returns what the layer returns."""
        if not self.training or self.p == 0:
            return self.layer(x, state)
        layer = self.layer
        steps = x.unbind(1 if layer.batch_first else 0)
        n, hidden = steps[0].shape[0], layer.hidden_size
        lstm = layer.mode == "LSTM"
        if state is None:
            zeros = x.new_zeros(n, hidden)
            h, c = zeros, zeros
        else:
            h, c = (state[0][0], state[1][0]) if lstm else (state[0], None)
        mask = torch.bernoulli(x.new_full((n, hidden), 1 - self.p)) / (1 - self.p)
        weights = (layer.weight_ih_l0, layer.weight_hh_l0,
                   getattr(layer, "bias_ih_l0", None), getattr(layer, "bias_hh_l0", None))
        step = _STEPS[layer.mode]
        outputs = []
        for x_t in steps:
            if lstm:
                h, c = step(x_t, (h * mask, c), *weights)
            else:
                h = step(x_t, h * mask, *weights)
            outputs.append(h)
        out = torch.stack(outputs, 1 if layer.batch_first else 0)
        final = (h.unsqueeze(0), c.unsqueeze(0)) if lstm else h.unsqueeze(0)
        return out, final


def with_recurrent_dropout(model: nn.Module, p: float) -> nn.Module:
    """`model` with its first nn.RNN / nn.GRU / nn.LSTM wrapped in RecurrentDropout(p), in place."""
    for name, module in model.named_modules():
        if isinstance(module, nn.RNNBase):
            parent_name, _, attr = name.rpartition(".")
            setattr(model.get_submodule(parent_name) if parent_name else model, attr, RecurrentDropout(module, p))
            return model
    raise ValueError("model: no nn.RNN, nn.GRU or nn.LSTM in it to add recurrent dropout to")
