"""Blind order: which answer a given annotator sees as "Answer A", "Answer B", ...

Model identity and position both steer people's scores, so every annotator sees a prompt's
answers under neutral labels, in an order shuffled per (run, prompt, annotator): stable for one
person across page reruns and restarts, different between people, so a position bias does not
hit the same model for everyone. The seed is a SHA-256 of those strings; Python's ``hash()`` is
salted per process and would reshuffle after every restart. No pandas here: cheap to import.
"""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Iterable


def _seed(*parts: str) -> int:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def stable_seed(*parts: str) -> int:
    """A seed from strings that is the same in every process (for other blind shuffles)."""
    return _seed(*parts)


def blind_order(run_id: str, prompt_id: str, annotator: str, models: Iterable[str]) -> list[str]:
    """The models in a shuffled order that is stable for this (run, prompt, annotator).

    The input order does not matter (it is sorted first), so a page rerun shows the same order.
    """
    order = sorted(models)
    random.Random(_seed(run_id, prompt_id, annotator.strip())).shuffle(order)
    return order


def blind_label(index: int) -> str:
    """``Answer A`` .. ``Answer Z``, then ``Answer AA`` .. for more than 26 models."""
    letters = string.ascii_uppercase
    label = letters[index % 26]
    while index >= 26:
        index = index // 26 - 1
        label = letters[index % 26] + label
    return f"Answer {label}"
