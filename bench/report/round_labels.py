"""Round numbers as people read them, the same in the app, the charts and ``samples.csv``.

The store keeps measured rounds as 0, 1, 2... and warm-up rounds as -W..-1 (so they sort first).
People count from 1, and a warm-up request is not "round 0": measured rounds are numbered 1..R,
warm-up rounds 1..W by their distance from the first measured round (the ``phase`` column says
which kind a number belongs to).
"""

from __future__ import annotations


def round_number(stored: int) -> int:
    """1-based within its phase: stored 0 -> 1, stored -1 -> warm-up 1."""
    stored = int(stored)
    return stored + 1 if stored >= 0 else -stored


def round_words(stored: int, rounds: int = 0) -> str:
    """``round 2 of 3``, ``round 2`` without a total, ``warm-up 1`` for a warm-up request."""
    stored = int(stored)
    if stored < 0:
        return f"warm-up {round_number(stored)}"
    return f"round {round_number(stored)}" + (f" of {rounds}" if rounds else "")


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 round``, ``3 rounds``, ``0 warm-up rounds``."""
    return f"{count} {word if count == 1 else words or word + 's'}"
