"""Keras-style recurrent dropout around PyTorch's fused recurrent layers."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from dlkit.recurrent_dropout import RecurrentDropout, with_recurrent_dropout

LAYERS = [lambda: nn.LSTM(3, 5, batch_first=True), lambda: nn.GRU(3, 5, batch_first=True),
          lambda: nn.RNN(3, 5, batch_first=True), lambda: nn.RNN(3, 5, nonlinearity="relu")]


@pytest.mark.parametrize("make", LAYERS)
def test_tiny_p_is_the_layer_itself_and_eval_ignores_p(make) -> None:
    torch.manual_seed(0)
    layer = make()
    x = torch.randn(4, 6, 3)
    want, _ = layer(x)
    stepped, _ = RecurrentDropout(layer, 1e-9).train()(x)  # the step-by-step path, mask ≈ 1
    assert torch.allclose(stepped, want, atol=1e-6)
    assert torch.equal(RecurrentDropout(layer, 0.5).eval()(x)[0], want)


def test_one_mask_per_sequence_on_the_fed_back_state() -> None:
    torch.manual_seed(0)
    layer = nn.RNN(1, 8, batch_first=True)
    wrapped = RecurrentDropout(layer, 0.5).train()
    x = torch.zeros(200, 3, 1)
    out, _ = wrapped(x)
    assert torch.allclose(out[:, 0], layer(x)[0][:, 0])  # step 0 is fed a zero state: nothing to drop
    assert not torch.allclose(out[:, 1], layer(x)[0][:, 1])
    grads = torch.autograd.grad(out.sum(), layer.weight_hh_l0)
    assert grads[0].abs().sum() > 0


def test_swapped_into_a_model() -> None:
    model = nn.Sequential()
    model.recurrent = nn.GRU(2, 4, batch_first=True)
    with_recurrent_dropout(model, 0.2)
    assert isinstance(model.recurrent, RecurrentDropout) and model.recurrent.p == 0.2
    with pytest.raises(ValueError, match="model"):
        with_recurrent_dropout(nn.Linear(2, 2), 0.1)
    with pytest.raises(ValueError, match="p:"):
        RecurrentDropout(nn.GRU(2, 4), 1.0)
