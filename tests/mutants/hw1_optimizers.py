"""Realistic wrong answers to HW1-Q4 (hw1/optimizers), one mistake each.

Every mutant must lose points on its own item and keep every other item's
points: train is graded with the graders' own forward pass and stand-in
rules, so a broken rule or network costs points once, where it is written.
"""
from __future__ import annotations

from tests.variants import Variant

MODULE = "hw1/optimizers"

MUTANTS: list[Variant] = [
    # ---------------------------------------------------------------- forward
    Variant(
        MODULE,
        name="forward_no_relu",
        item="forward",
        why="the ReLU is forgotten, which leaves a linear model: it still fits these linear "
        "targets, so the student's own loss curve hides the mistake.",
        old="return torch.relu(x @ w1 + b1) @ w2 + b2",
        new="return (x @ w1 + b1) @ w2 + b2",
    ),
    Variant(
        MODULE,
        name="forward_relu_on_output",
        item="forward",
        why="a ReLU after every layer, the output included, so negative targets cannot be reached.",
        old="return torch.relu(x @ w1 + b1) @ w2 + b2",
        new="return torch.relu(torch.relu(x @ w1 + b1) @ w2 + b2)",
    ),
    Variant(
        MODULE,
        name="forward_output_bias_inside",
        item="forward",
        why="the output bias is added before the hidden activation (parenthesis in the wrong place).",
        old="return torch.relu(x @ w1 + b1) @ w2 + b2",
        new="return torch.relu(x @ w1 + b1 + b2) @ w2",
    ),
    # --------------------------------------------------------------- sgd_step
    Variant(
        MODULE,
        name="sgd_ascent",
        item="sgd_step",
        why="the sign of the step is flipped: gradient ascent.",
        old="        param -= lr * param.grad\n    param.grad = None",
        new="        param += lr * param.grad\n    param.grad = None",
    ),
    Variant(
        MODULE,
        name="sgd_keeps_grad",
        item="sgd_step",
        why="forgetting to reset .grad: backward() then adds every new gradient to all the old ones.",
        old="        param -= lr * param.grad\n    param.grad = None\n",
        new="        param -= lr * param.grad\n",
    ),
    Variant(
        MODULE,
        name="sgd_rebinds_param",
        item="sgd_step",
        why="`param = param - lr * grad` makes a new local tensor and leaves the caller's unchanged.",
        old="    with torch.no_grad():\n        param -= lr * param.grad\n    param.grad = None",
        new="    with torch.no_grad():\n        param = param - lr * param.grad\n    param.grad = None",
    ),
    # ----------------------------------------------------------- momentum_step
    Variant(
        MODULE,
        name="momentum_step_scaled_by_beta",
        item="momentum_step",
        why="the step is written p ← p − lr·β·v, mixing up the velocity update and the step.",
        old="        param -= lr * velocity\n",
        new="        param -= lr * beta * velocity\n",
    ),
    Variant(
        MODULE,
        name="momentum_dampened",
        item="momentum_step",
        why="the exponential-average form v ← βv + (1 − β)g from lecture notes, which is not "
        "PyTorch's convention (no dampening).",
        old="velocity.mul_(beta).add_(param.grad)",
        new="velocity.mul_(beta).add_(param.grad, alpha=1 - beta)",
    ),
    Variant(
        MODULE,
        name="momentum_velocity_reset",
        item="momentum_step",
        why="the velocity is created afresh at every call, so momentum never builds up.",
        old="""        if "velocity" not in state:
            state["velocity"] = torch.zeros_like(param)
""",
        new="""        state["velocity"] = torch.zeros_like(param)
""",
    ),
    Variant(
        MODULE,
        name="momentum_keeps_grad",
        item="momentum_step",
        why="forgetting to reset .grad after the update.",
        old="        param -= lr * velocity\n    param.grad = None\n",
        new="        param -= lr * velocity\n",
    ),
    Variant(
        MODULE,
        name="momentum_global_velocity",
        item="momentum_step",
        why="one velocity for the whole module (a global) instead of one per parameter: the "
        "original's state lists passed one tensor's state for another.",
        old="""        if "velocity" not in state:
            state["velocity"] = torch.zeros_like(param)
        velocity = state["velocity"]
""",
        new="""        shared = globals().setdefault("_VELOCITY", {})
        if shared.get("v") is None or shared["v"].shape != param.shape:
            shared["v"] = torch.zeros_like(param)
        velocity = state["velocity"] = shared["v"]
""",
    ),
    Variant(
        MODULE,
        name="momentum_default_beta_ignored",
        item="momentum_step",
        why="the coefficient is hard-coded to 0.99 (a value from a blog post) instead of using beta, "
        "whose default must be 0.9.",
        old="velocity.mul_(beta).add_(param.grad)",
        new="velocity.mul_(0.99).add_(param.grad)",
    ),
    # ------------------------------------------------------------ rmsprop_step
    Variant(
        MODULE,
        name="rmsprop_no_one_minus_alpha",
        item="rmsprop_step",
        why="s ← αs + g², dropping the (1 − α) factor, so s grows like a sum and steps shrink.",
        old="square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)",
        new="square_avg.mul_(alpha).addcmul_(grad, grad)",
    ),
    Variant(
        MODULE,
        name="rmsprop_eps_inside_sqrt",
        item="rmsprop_step",
        why="√(s + ε) instead of √s + ε: a common textbook form, but not PyTorch's; it differs "
        "noticeably only when gradients are tiny or ε is large.",
        old="param -= lr * grad / (square_avg.sqrt() + eps)",
        new="param -= lr * grad / (square_avg + eps).sqrt()",
    ),
    Variant(
        MODULE,
        name="rmsprop_init_ones",
        item="rmsprop_step",
        why="the running average starts at one (as in TensorFlow 1's RMSProp) instead of zero.",
        old='state["square_avg"] = torch.zeros_like(param)',
        new='state["square_avg"] = torch.ones_like(param)',
    ),
    Variant(
        MODULE,
        name="rmsprop_no_sqrt",
        item="rmsprop_step",
        why="dividing by s itself instead of its root.",
        old="param -= lr * grad / (square_avg.sqrt() + eps)",
        new="param -= lr * grad / (square_avg + eps)",
    ),
    Variant(
        MODULE,
        name="rmsprop_hinton_alpha",
        item="rmsprop_step",
        why="alpha hard-coded to 0.9, the value of Hinton's lecture, instead of the argument "
        "(PyTorch's default is 0.99).",
        old="square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)",
        new="square_avg.mul_(0.9).addcmul_(grad, grad, value=0.1)",
    ),
    Variant(
        MODULE,
        name="rmsprop_keeps_grad",
        item="rmsprop_step",
        why="forgetting to reset .grad after the update.",
        old="        param -= lr * grad / (square_avg.sqrt() + eps)\n    param.grad = None\n",
        new="        param -= lr * grad / (square_avg.sqrt() + eps)\n",
    ),
    # --------------------------------------------------------------- adam_step
    Variant(
        MODULE,
        name="adam_no_bias_correction",
        item="adam_step",
        why="m and v used directly, without dividing by 1 − β^t: the first steps are far too small "
        "(and too large later relative to the moment estimates).",
        old="""        m_hat = exp_avg / (1 - beta1**t)
        v_hat = exp_avg_sq / (1 - beta2**t)
""",
        new="""        m_hat = exp_avg
        v_hat = exp_avg_sq
""",
    ),
    Variant(
        MODULE,
        name="adam_step_count_from_zero",
        item="adam_step",
        why="the step count is read as state['step'] + 1 but never stored back, so t stays 1 and "
        "every step gets the first step's bias correction.",
        old="""        state["step"] += 1
        t = state["step"]
""",
        new="""        t = state["step"] + 1
""",
    ),
    Variant(
        MODULE,
        name="adam_eps_inside_sqrt",
        item="adam_step",
        why="√(v̂ + ε) instead of √v̂ + ε.",
        old="param -= lr * m_hat / (v_hat.sqrt() + eps)",
        new="param -= lr * m_hat / (v_hat + eps).sqrt()",
    ),
    Variant(
        MODULE,
        name="adam_global_step_count",
        item="adam_step",
        why="a single step counter for all parameters (a global t), so with four parameters the "
        "bias correction runs four times too fast.",
        old="""        state["step"] += 1
        t = state["step"]
""",
        new="""        state["step"] += 1
        globals()["_ADAM_T"] = t = globals().get("_ADAM_T", 0) + 1
""",
    ),
    Variant(
        MODULE,
        name="adam_second_moment_not_squared",
        item="adam_step",
        why="the second moment averages g instead of g².",
        old="exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)",
        new="exp_avg_sq.mul_(beta2).add_(grad.abs(), alpha=1 - beta2)",
    ),
    Variant(
        MODULE,
        name="adam_keras_epsilon",
        item="adam_step",
        why="ε hard-coded to Keras's 1e-7 instead of the argument (PyTorch's default is 1e-8).",
        old="param -= lr * m_hat / (v_hat.sqrt() + eps)",
        new="param -= lr * m_hat / (v_hat.sqrt() + 1e-7)",
    ),
    Variant(
        MODULE,
        name="adam_keeps_grad",
        item="adam_step",
        why="forgetting to reset .grad after the update.",
        old="        param -= lr * m_hat / (v_hat.sqrt() + eps)\n    param.grad = None\n",
        new="        param -= lr * m_hat / (v_hat.sqrt() + eps)\n",
    ),
    # ------------------------------------------------------------------- train
    Variant(
        MODULE,
        name="train_only_weights",
        item="train",
        why="updating only some parameters: the weights are stepped and the biases forgotten.",
        old="        for param, state in zip(params, states):\n",
        new="        for param, state in list(zip(params, states))[::2]:\n",
    ),
    Variant(
        MODULE,
        name="train_shared_state",
        item="train",
        why="the original's bug: one state passed for every parameter, so their running "
        "quantities mix.",
        old="            step_fn(param, lr, state)\n",
        new="            step_fn(param, lr, states[0])\n",
    ),
    Variant(
        MODULE,
        name="train_state_per_step",
        item="train",
        why="new state dicts at every step, so momentum and running averages never build up.",
        old="        for param, state in zip(params, states):\n",
        new="        for param, state in zip(params, [{} for _ in params]):\n",
    ),
    Variant(
        MODULE,
        name="train_ignores_threshold",
        item="train",
        why="always runs max_steps steps, never checking for convergence.",
        old="        if history[-1] < threshold:\n            break\n",
        new="",
    ),
    Variant(
        MODULE,
        name="train_sum_of_squares",
        item="train",
        why="the summed squared error instead of its mean: the loss and the gradients are N times "
        "too large.",
        old="loss = ((forward(params, x) - y) ** 2).mean()",
        new="loss = ((forward(params, x) - y) ** 2).sum()",
    ),
    Variant(
        MODULE,
        name="train_broadcast_targets",
        item="train",
        why="comparing (N, 1) outputs with (N,) targets broadcasts to an (N, N) matrix of errors.",
        old="loss = ((forward(params, x) - y) ** 2).mean()",
        new="loss = ((forward(params, x) - y.flatten()) ** 2).mean()",
    ),
    Variant(
        MODULE,
        name="train_tensor_history",
        item="train",
        why="appending the loss tensor itself, which keeps every step's graph alive.",
        old="history.append(loss.item())\n        if history[-1] < threshold:",
        new="history.append(loss)\n        if history[-1] < threshold:",
    ),
    Variant(
        MODULE,
        name="train_one_step_too_many",
        item="train",
        why="range(max_steps + 1): an off-by-one in the step limit.",
        old="for _ in range(max_steps):",
        new="for _ in range(max_steps + 1):",
    ),
    # ------------------------------------------------- dtypes, layouts, inputs
    Variant(
        MODULE,
        name="forward_casts_to_float32",
        item="forward",
        why=".float() added everywhere to silence a dtype error: float64 inputs give a float32 "
        "output.",
        old="return torch.relu(x @ w1 + b1) @ w2 + b2",
        new="return torch.relu(x.float() @ w1.float() + b1.float()) @ w2.float() + b2.float()",
    ),
    Variant(
        MODULE,
        name="sgd_flattens_with_view",
        item="sgd_step",
        why="the update written on flat views, param.grad.view(-1): a non-contiguous gradient "
        "cannot be viewed, and the step raises.",
        old="        param -= lr * param.grad\n    param.grad = None",
        new="        param.view(-1).sub_(lr * param.grad.view(-1))\n    param.grad = None",
    ),
    Variant(
        MODULE,
        name="sgd_scales_grad_in_place",
        item="sgd_step",
        why="the step chained from in-place calls, param.grad.mul_(lr): the parameter is right, "
        "but the gradient tensor the caller gave is overwritten.",
        old="        param -= lr * param.grad\n    param.grad = None",
        new="        param -= param.grad.mul_(lr)\n    param.grad = None",
    ),
    Variant(
        MODULE,
        name="momentum_velocity_float32",
        item="momentum_step",
        why="the velocity made with torch.zeros(param.shape), which is float32 whatever the "
        "parameter's dtype: a float64 parameter's steps lose precision.",
        old='state["velocity"] = torch.zeros_like(param)',
        new='state["velocity"] = torch.zeros(param.shape)',
    ),
    Variant(
        MODULE,
        name="train_centres_inputs_in_place",
        item="train",
        why="the inputs centred in place before training (x -= x.mean(0)), which changes the "
        "caller's data.",
        old="    states: list[dict] = [{} for _ in params]\n",
        new="    x -= x.mean(dim=0, keepdim=True)\n    states: list[dict] = [{} for _ in params]\n",
    ),
]
