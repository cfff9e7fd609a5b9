"""Writes Tests/Fixtures/torch/cases.json: gradbook programs over every op of SPEC §1 with the
values and gradients PyTorch (float64) computes for them. The Swift suite replays each program
and requires agreement to 1e-8 relative. Run with a Python that has torch (the peers' venv):

    ~/.cache/gradbook-peers/venv/bin/python tests/torch/generate_cases.py
"""
import json
import pathlib

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20261127)


def literal(array):
    """A gradbook literal with the exact doubles (repr is shortest round-trip)."""
    array = np.asarray(array, dtype=np.float64)
    if array.ndim == 0:
        return repr(float(array))
    return "[" + ", ".join(literal(row) for row in array) + "]"


def tensor(shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, size=shape)


CASES = []


def case(name, params, body, torch_fn, consts=None):
    """params: {name: ndarray} made param(...); consts: {name: ndarray} plain leaves; body: gradbook
    lines defining L; torch_fn(**tensors) -> scalar L."""
    consts = consts or {}
    lines = [f"{k} = param({literal(v)})" for k, v in params.items()]
    lines += [f"{k} = {literal(v)}" for k, v in consts.items()]
    lines += body.strip().splitlines()
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    tensors.update({k: torch.tensor(v) for k, v in consts.items()})
    loss = torch_fn(**tensors)
    loss.backward()
    CASES.append({
        "name": name,
        "source": "\n".join(lines),
        "target": "L",
        "value": loss.item(),
        "grads": {k: tensors[k].grad.reshape(-1).tolist() for k in params},
    })


A, B, v = tensor((3, 4)), tensor((4, 2)), tensor((4,))
P = tensor((3, 4), 0.5, 2.0)
case("add_sub_mul_div_broadcast", {"A": A, "v": v},
     "L = sum((A + v) * (A - v) / (v * v + 1))",
     lambda A, v: ((A + v) * (A - v) / (v * v + 1)).sum())
case("pow_and_neg", {"P": P}, "L = sum(-P^3 + P^0.5 + pow(P, 2.5))",
     lambda P: (-P**3 + P**0.5 + torch.pow(P, 2.5)).sum())
case("pow_tensor_exponent", {"P": P, "e": tensor((4,), 0.5, 1.5)}, "L = sum(pow(P, e))",
     lambda P, e: torch.pow(P, e).sum())
case("exp_log_sqrt", {"P": P}, "L = sum(exp(P / 2) + log(P) * sqrt(P))",
     lambda P: (torch.exp(P / 2) + torch.log(P) * torch.sqrt(P)).sum())
case("abs_sin_cos_tanh", {"A": A}, "L = sum(abs(A) * sin(A) + cos(A) * tanh(A))",
     lambda A: (A.abs() * torch.sin(A) + torch.cos(A) * torch.tanh(A)).sum())
case("sigmoid_relu", {"A": A}, "L = sum(sigmoid(A) * relu(A) + relu(-A) * 3)",
     lambda A: (torch.sigmoid(A) * torch.relu(A) + torch.relu(-A) * 3).sum())
A2 = tensor((3, 4))
case("elementwise_max_min", {"A": A, "C": A2}, "L = sum(max(A, C) * 2 + min(A, C) * 3)",
     lambda A, C: (torch.maximum(A, C) * 2 + torch.minimum(A, C) * 3).sum())
case("matmul_matrix_matrix", {"A": A, "B": B}, "L = sum((A @ B)^2)",
     lambda A, B: ((A @ B) ** 2).sum())
case("matmul_matrix_vector", {"A": A, "v": v}, "L = sum(tanh(A @ v))",
     lambda A, v: torch.tanh(A @ v).sum())
case("matmul_vector_vector", {"v": v, "u": tensor((4,))}, "L = v @ u",
     lambda v, u: v @ u)
case("matmul_vector_matrix", {"v": v, "B": B}, "L = sum(v @ B)",
     lambda v, B: (v @ B).sum())
Bt = tensor((2, 3, 4)); Ct = tensor((2, 4, 5))
case("matmul_batched", {"X": Bt, "Y": Ct}, "L = sum(sin(X @ Y))",
     lambda X, Y: torch.sin(X @ Y).sum())
case("matmul_batched_broadcast", {"X": Bt, "M": tensor((4, 5))}, "L = sum((X @ M)^2)",
     lambda X, M: ((X @ M) ** 2).sum())
case("transpose_T", {"A": A, "B": tensor((3, 2))}, "L = sum(A.T @ B) + sum(transpose(A) * 2)",
     lambda A, B: (A.T @ B).sum() + (A.T * 2).sum())
case("sum_mean_axis", {"A": A}, "L = sum(sum(A, axis=0)^2) + sum(mean(A, axis=1)^3) + mean(A)",
     lambda A: (A.sum(0) ** 2).sum() + (A.mean(1) ** 3).sum() + A.mean())
case("keepdims", {"A": A}, "L = sum(A / sum(abs(A), axis=1, keepdims=true))",
     lambda A: (A / A.abs().sum(1, keepdim=True)).sum())
case("max_min_reduction", {"A": A}, "L = max(A) - min(A) + sum(max(A, axis=1)) + sum(min(A, axis=0))",
     lambda A: A.max() - A.min() + A.max(1).values.sum() + A.min(0).values.sum())
case("logsumexp", {"A": A}, "L = sum(logsumexp(A, axis=1)) + logsumexp(A)",
     lambda A: torch.logsumexp(A, 1).sum() + torch.logsumexp(A.reshape(-1), 0))
case("reshape_flatten", {"A": A}, "L = sum(reshape(A, 2, 6)[1] * flatten(A)[0:6])",
     lambda A: (A.reshape(2, 6)[1] * A.flatten()[0:6]).sum())
case("concat_stack", {"A": A, "C": A2}, "L = sum(concat(A, C, axis=1)^2) + sum(stack(A, C) * 3) + sum(concat(A, C)[4])",
     lambda A, C: (torch.cat([A, C], 1) ** 2).sum() + (torch.stack([A, C]) * 3).sum() + torch.cat([A, C])[4].sum())
case("indexing_slicing", {"A": A}, "L = A[1, 2] * 3 + sum(A[:, 1]) + sum(A[0:2]) + sum(A[-1]) + sum(A[:, 1:3] * A[0:3:2, 0:2][0])",
     lambda A: A[1, 2] * 3 + A[:, 1].sum() + A[0:2].sum() + A[-1].sum() + (A[:, 1:3] * A[0:3:2, 0:2][0]).sum())
case("softmax", {"A": A}, "L = sum(softmax(A) * [1, 2, 3, 4]) + sum(softmax(A, axis=0)^2)",
     lambda A: (torch.softmax(A, -1) * torch.tensor([1., 2, 3, 4])).sum() + (torch.softmax(A, 0) ** 2).sum())
case("log_softmax", {"A": A}, "L = sum(log_softmax(A) * A)",
     lambda A: (torch.log_softmax(A, -1) * A).sum())
labels = np.array([2.0, 0.0, 3.0])
case("cross_entropy", {"A": A}, "L = cross_entropy(A, y)",
     lambda A, y: torch.nn.functional.cross_entropy(A, y.long()), consts={"y": labels})
case("mse", {"A": A, "T": A2}, "L = mse(A, T)",
     lambda A, T: torch.nn.functional.mse_loss(A, T))
case("one_hot_weighting", {"A": A}, "L = sum(one_hot(y, 4) * log_softmax(A))",
     lambda A, y: (torch.nn.functional.one_hot(y.long(), 4) * torch.log_softmax(A, -1)).sum(), consts={"y": labels})
X = tensor((5, 3)); W1 = tensor((3, 4)); b1 = tensor((4,)); W2 = tensor((4, 2)); b2 = tensor((2,))
yl = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
case("mlp_cross_entropy", {"W1": W1, "b1": b1, "W2": W2, "b2": b2},
     "h = tanh(X @ W1 + b1)\nlogits = h @ W2 + b2\nL = cross_entropy(logits, y)",
     lambda W1, b1, W2, b2, X, y: torch.nn.functional.cross_entropy(torch.tanh(X @ W1 + b1) @ W2 + b2, y.long()),
     consts={"X": X, "y": yl})
case("seed_example", {"w": np.array(2.0), "b": np.array(8.0)},
     "x = -2\ny = 2\nc = w * x\na = c + b\nd = a - y\nL = 0.5 * d^2",
     lambda w, b: 0.5 * ((w * -2 + b) - 2) ** 2)
case("node_used_twice", {"a": np.array(1.5)}, "b = a + a\nL = b * a * sin(a)",
     lambda a: (a + a) * a * torch.sin(a))
case("deep_scalar_chain", {"w": np.array(0.7)}, "\n".join(["x0 = 0.5"] + [f"x{i+1} = tanh(x{i} * w + 0.1)" for i in range(40)] + ["L = x40^2"]),
     lambda w: (lambda x: x ** 2)(__import__("functools").reduce(lambda x, _: torch.tanh(x * w + 0.1), range(40), torch.tensor(0.5))))

out = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "torch" / "cases.json"
out.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, indent=1) + "\n")
print(f"wrote {len(CASES)} cases to {out}")
