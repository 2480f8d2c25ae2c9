"""What a check says about one answer: the one type every evaluator (and the sandbox) returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckVerdict:
    """``passed`` is True / False, or None when the check was not run (``detail`` says why)."""

    passed: bool | None
    detail: str = ""
