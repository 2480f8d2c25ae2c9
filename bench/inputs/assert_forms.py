"""The test forms a ``python_tests`` check may use, split into what the sandbox runs and what it never sees.

The grader must decide pass or fail *outside* the process that runs model code, so an assert is not
run as an assert: its left side (a *probe*) is evaluated in the sandbox, which returns the value as
plain data, and the parent compares it with the right side, a literal it reads itself
(``ast.literal_eval``), the way output-comparing graders do (LiveCodeBench, EvalPlus). Only forms
whose comparison the parent can do on plain data are accepted:

* ``assert EXPR == LITERAL``
* ``assert EXPR is True`` / ``is False`` / ``is None``
* ``assert abs(EXPR - NUMBER) < TOLERANCE`` (or ``<=``)

Other statements (``a = {'x': 1}``, ``f(a)``) run before the asserts as setup. Each test runs in
a fresh process on the answer's definitions: what one test sets up, the next does not see. Anything else (a bare
``assert f(x)``, ``assert f(x) in (...)``, an assert nested in a loop) is refused when the prompt set
is loaded, because the comparison would have to run next to the code being judged.
"""

from __future__ import annotations

import ast
import math
import threading
from dataclasses import dataclass
from typing import Any, Literal

FORMS = "`assert EXPR == LITERAL`, `assert EXPR is True|False|None` or `assert abs(EXPR - NUMBER) < TOL`"


@dataclass(frozen=True)
class Expectation:
    """What the parent compares a probe's value with; never sent to the sandbox."""

    kind: Literal["equals", "is", "close"]
    value: Any
    tolerance: float = 0.0
    inclusive: bool = False

    def holds(self, got: Any) -> bool:
        """Whether plain data ``got`` (already parsed by the parent) meets this expectation."""
        if self.kind == "is":
            return got is self.value
        if self.kind == "close":
            number = type(got) in (int, float) and math.isfinite(got)
            if not number:
                return False
            gap = abs(got - self.value)
            return gap <= self.tolerance if self.inclusive else gap < self.tolerance
        same_kind = (type(got) is bool) == (type(self.value) is bool)  # True is not 1 for a grader
        return same_kind and got == self.value

    def text(self) -> str:
        if self.kind == "is":
            return f"is {self.value!r}"
        if self.kind == "close":
            return f"within {self.tolerance:g} of {self.value!r}"
        return f"== {self.value!r}"


#: Python objects from a parse (``ast.parse``, ``ast.literal_eval``) are built by C code that keeps
#: one recursion counter per interpreter, not per thread: CPython 3.11 raises "AST constructor
#: recursion depth mismatch" when two threads build trees at once (seen: a run's grading thread and
#: the app's page thread). Every parse made where other threads may run (loading a set, grading)
#: takes this lock (the CLI's help listing parses before any thread starts); the app runs with
#: Streamlit's magic off (.streamlit/config.toml), so Streamlit builds no trees of its own.
AST_LOCK = threading.Lock()


@dataclass(frozen=True)
class Step:
    """One step of a test: ``setup`` source to run, or a ``probe`` expression whose value is returned."""

    setup: str | None = None
    probe: str | None = None
    expect: Expectation | None = None


class FormError(ValueError):
    """A test the grader cannot check safely; the message names the line and the accepted forms."""


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)  # a node already built under the lock: no parse here
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _assert_step(node: ast.Assert) -> Step:
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        raise FormError(f"line {node.lineno}: `{ast.unparse(node)}` is not one of {FORMS}")
    op, left, right = test.ops[0], test.left, test.comparators[0]
    is_literal, value = _literal(right)
    if isinstance(op, ast.Eq) and is_literal:
        return Step(probe=ast.unparse(left), expect=Expectation("equals", value))
    if isinstance(op, ast.Is) and isinstance(right, ast.Constant) and right.value in (True, False, None):
        return Step(probe=ast.unparse(left), expect=Expectation("is", right.value))
    close = (
        isinstance(op, ast.Lt | ast.LtE)
        and is_literal
        and isinstance(left, ast.Call)
        and isinstance(left.func, ast.Name)
        and left.func.id == "abs"
        and len(left.args) == 1
        and isinstance(left.args[0], ast.BinOp)
        and isinstance(left.args[0].op, ast.Sub)
    )
    if close:
        target_ok, target = _literal(left.args[0].right)
        numbers = target_ok and all(type(v) in (int, float) for v in (target, value))
        if numbers:
            probe = ast.unparse(left.args[0].left)
            return Step(
                probe=probe, expect=Expectation("close", target, float(value), isinstance(op, ast.LtE))
            )
    raise FormError(f"line {node.lineno}: `{ast.unparse(node)}` is not one of {FORMS}")


def parse_test(source: str) -> list[Step]:
    """The steps of one test, in order; FormError when a form is not supported."""
    try:
        with AST_LOCK:
            tree = ast.parse(source)
    except SyntaxError as exc:
        raise FormError(f"line {exc.lineno}: not valid Python ({exc.msg})") from None
    steps: list[Step] = []
    for node in tree.body:
        if isinstance(node, ast.Assert):
            steps.append(_assert_step(node))
            continue
        nested = next((n for n in ast.walk(node) if isinstance(n, ast.Assert)), None)
        if nested is not None:
            raise FormError(
                f"line {nested.lineno}: an assert inside another statement cannot be checked safely"
            )
        steps.append(Step(setup=ast.unparse(node)))
    if not any(step.probe for step in steps):
        raise FormError(f"no assert: a test needs at least one of {FORMS}")
    return steps
