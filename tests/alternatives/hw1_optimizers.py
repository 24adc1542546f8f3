"""Correct answers to HW1-Q4 (hw1/optimizers) written differently from the
reference; each replaces one item's whole solution region and must keep
every point."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "hw1/optimizers"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    """A whole-region replacement of `item` by `body` (indented as in the file)."""
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite(
        "forward_clamp_and_addmm",
        "forward",
        "clamps the hidden layer at zero and uses addmm, unpacking nothing.",
        """\
    hidden = torch.addmm(params[1], x, params[0]).clamp(min=0)
    return torch.addmm(params[3], hidden, params[2])
""",
    ),
    rewrite(
        "sgd_data_and_zero_grad",
        "sgd_step",
        "updates .data (outside autograd without no_grad) and zeroes the gradient in place "
        "instead of setting it to None.",
        """\
    param.data.add_(param.grad.data, alpha=-lr)
    param.grad.zero_()
""",
    ),
    rewrite(
        "momentum_pytorch_first_step",
        "momentum_step",
        "follows PyTorch's code: the buffer is a clone of the first gradient, not zeros.",
        """\
    with torch.no_grad():
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = param.grad.detach().clone()
        else:
            buf.mul_(beta).add_(param.grad)
        param.add_(buf, alpha=-lr)
    param.grad = None
""",
    ),
    rewrite(
        "momentum_functional_state",
        "momentum_step",
        "builds a new velocity tensor each step and stores it back in the state dict.",
        """\
    with torch.no_grad():
        v = beta * state.get("v", 0.0) + param.grad
        state["v"] = v
        param.copy_(param - lr * v)
    param.grad = None
""",
    ),
    rewrite(
        "rmsprop_out_of_place",
        "rmsprop_step",
        "keeps s as a new tensor each step and writes the update with torch.addcdiv.",
        """\
    g = param.grad.detach()
    s = alpha * state.get("s", torch.zeros_like(g)) + (1 - alpha) * g * g
    state["s"] = s
    with torch.no_grad():
        param.copy_(torch.addcdiv(param, g, s.sqrt().add(eps), value=-lr))
    param.grad = None
""",
    ),
    rewrite(
        "adam_pytorch_formulation",
        "adam_step",
        "PyTorch's own arrangement: the step size lr / (1 − β1^t) and the denominator "
        "√v / √(1 − β2^t) + ε, with lerp for the first moment.",
        """\
    beta1, beta2 = betas
    g = param.grad
    with torch.no_grad():
        if "t" not in state:
            state["t"], state["m"], state["v"] = 0, torch.zeros_like(param), torch.zeros_like(param)
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        m.lerp_(g, 1 - beta1)
        v.mul_(beta2).add_(g * g * (1 - beta2))
        denom = v.sqrt() / math.sqrt(1 - beta2**t) + eps
        param.addcdiv_(m, denom, value=-lr / (1 - beta1**t))
    param.grad = None
""",
    ),
    rewrite(
        "train_while_loop_mse_loss",
        "train",
        "a while loop with F.mse_loss, states kept in a dict keyed by parameter position.",
        """\
    import torch.nn.functional as F

    states = {i: {} for i in range(len(params))}
    history: list[float] = []
    while len(history) < max_steps:
        loss = F.mse_loss(forward(params, x), y)
        history.append(float(loss))
        if history[-1] < threshold:
            break
        loss.backward()
        for i, param in enumerate(params):
            step_fn(param, lr, states[i])
    return history
""",
    ),
    rewrite(
        "momentum_slice_assignment",
        "momentum_step",
        "the velocity and the parameter overwritten through slices, v[:] = beta * v + grad "
        "(every parameter of the network has at least one dimension).",
        """\
    with torch.no_grad():
        if "v" not in state:
            state["v"] = torch.zeros_like(param)
        v = state["v"]
        v[:] = beta * v + param.grad
        param[:] = param - lr * v
    param.grad = None
""",
    ),
    rewrite(
        "rmsprop_d2l_slices",
        "rmsprop_step",
        "d2l's style: state via setdefault, s[:] and p[:] -= ..., torch.square, and the "
        "gradient zeroed in place.",
        """\
    with torch.no_grad():
        s = state.setdefault("s", torch.zeros_like(param))
        s[:] = alpha * s + (1 - alpha) * torch.square(param.grad)
        param[:] -= lr * param.grad / (torch.sqrt(s) + eps)
    param.grad.zero_()
""",
    ),
    rewrite(
        "adam_hat_form",
        "adam_step",
        "the textbook form: new tensors m and v stored back in the state, m_hat and v_hat, "
        "then p -= lr * m_hat / (sqrt(v_hat) + eps).",
        """\
    beta1, beta2 = betas
    g = param.grad.detach()
    if not state:
        state["t"], state["m"], state["v"] = 0, torch.zeros_like(g), torch.zeros_like(g)
    state["t"] += 1
    t = state["t"]
    state["m"] = beta1 * state["m"] + (1 - beta1) * g
    state["v"] = beta2 * state["v"] + (1 - beta2) * g**2
    m_hat = state["m"] / (1 - beta1**t)
    v_hat = state["v"] / (1 - beta2**t)
    with torch.no_grad():
        param -= lr * m_hat / (torch.sqrt(v_hat) + eps)
    param.grad = None
""",
    ),
    rewrite(
        "adam_d2l_slices",
        "adam_step",
        "d2l's adam: v[:] and s[:] updated through slices, bias-corrected copies, p[:] -= ..., "
        "and p.grad.data.zero_().",
        """\
    beta1, beta2 = betas
    if "t" not in state:
        state.update(t=0, v=torch.zeros_like(param), s=torch.zeros_like(param))
    state["t"] += 1
    v, s = state["v"], state["s"]
    with torch.no_grad():
        v[:] = beta1 * v + (1 - beta1) * param.grad
        s[:] = beta2 * s + (1 - beta2) * torch.square(param.grad)
        v_bias_corr = v / (1 - beta1 ** state["t"])
        s_bias_corr = s / (1 - beta2 ** state["t"])
        param[:] -= lr * v_bias_corr / (torch.sqrt(s_bias_corr) + eps)
    param.grad.data.zero_()
""",
    ),
    rewrite(
        "train_autograd_grad",
        "train",
        "gradients from torch.autograd.grad, handed to the rule through .grad; the states "
        "zipped with the parameters in a for loop with an early return.",
        """\
    states = [dict() for _ in params]
    history: list[float] = []
    for _ in range(max_steps):
        loss = torch.mean(torch.square(forward(params, x) - y))
        history.append(loss.item())
        if loss.item() < threshold:
            return history
        grads = torch.autograd.grad(loss, params)
        for param, grad, state in zip(params, grads, states):
            param.grad = grad
            step_fn(param, lr, state)
    return history
""",
    ),
]
