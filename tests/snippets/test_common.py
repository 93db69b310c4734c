"""The writers every snippet shares: numbers and arrays that read back exactly, wrapped calls,
and the check of what a snippet imports (so the other tests' check can fail)."""

from __future__ import annotations

import ast

import numpy as np
import pytest
import torch

from cnnplay.snippets import Snippet, SnippetError
from cnnplay.snippets.common import (
    call_line,
    nested_list,
    number,
    pair_source,
    program,
    tensor_line,
)
from tests.snippets.runner import imported, run


@pytest.mark.parametrize(
    "value, text",
    [(3.0, "3"), (-1.0, "-1"), (0.1, "0.1"), (1 / 3, "0.3333333333333333"), (2.5e-9, "2.5e-09")],
)
def test_numbers_read_back_exactly(value, text):
    assert number(value) == text
    assert float(text) == value


def test_float32_numbers_use_their_own_shortest_form():
    v = np.float32(0.1) * np.float32(3)  # 0.3 in float32, 0.30000001192092896 as a double
    assert number(v, "float32") == "0.3"
    assert np.float32(float(number(v, "float32"))) == v


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_numbers_are_refused(bad):
    with pytest.raises(SnippetError):
        number(bad)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 3), (2, 1, 2, 2), (40,)])
def test_nested_lists_read_back_as_the_same_array(shape):
    a = np.random.default_rng(0).normal(size=shape)
    a.flat[0] = -2.0  # a whole number among decimals
    assert np.array_equal(np.array(ast.literal_eval(nested_list(a))), a)


@pytest.mark.parametrize("kind", ["float64", "float32→64"])
def test_tensor_lines_give_the_same_tensor(kind):
    a = np.random.default_rng(1).normal(size=(3, 4))
    if kind == "float32→64":
        a = a.astype(np.float32)
    namespace = {"torch": torch}
    exec(tensor_line("t", a, kind, comment="(3, 4)"), namespace)
    assert namespace["t"].dtype == torch.float64
    assert np.array_equal(namespace["t"].numpy(), a.astype(np.float64))


def test_too_large_arrays_are_not_written_out():
    with pytest.raises(SnippetError):
        tensor_line("x", np.zeros((40, 40)))


def test_pairs_and_wrapped_calls():
    assert pair_source(2) == "2" and pair_source((2, 2)) == "2" and pair_source((1, 2)) == "(1, 2)"
    assert call_line("a", "f", "1, 2") == "a = f(1, 2)\n"
    args = ", ".join(f"argument_{n}=({n}, {n})" for n in range(8))
    wrapped = call_line("layer", "nn.Conv2d", args)
    assert all(len(line) <= 88 for line in wrapped.splitlines())
    namespace = {"nn": type("nn", (), {"Conv2d": staticmethod(lambda **kw: kw)})}
    exec(wrapped, namespace)
    assert namespace["layer"] == {f"argument_{n}": (n, n) for n in range(8)}


def test_program_spacing():
    code = program("import torch\n", "x = 1\n", "def f():\n    return x\n", "y = f()\n")
    assert code == "import torch\n\nx = 1\n\n\ndef f():\n    return x\n\n\ny = f()\n"


def test_the_runner_refuses_other_imports_and_missing_results():
    assert imported("import os\nfrom torch import nn\nimport numpy.linalg") == {
        "os",
        "torch",
        "numpy",
    }
    with pytest.raises(AssertionError):
        run(Snippet("import os\ny = 1\n", "y"))
    with pytest.raises(AssertionError):
        run(Snippet("import math\nz = 1\n", "y"))
    assert run(Snippet("import math\ny = math.pi\nprint(y)\n", "y"))["y"] == np.pi
