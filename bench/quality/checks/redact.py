"""Defence in depth: a stored check detail never holds the value of a variable named like a secret.

The sandbox gives model code an empty environment, so it has no key to leak; this is the second
line in case a value reaches a detail another way (a check's own text, a future evaluator). Every
variable of *this* process whose name says key, token, secret or password, and whose value is long
enough to be one, is replaced by ``[$NAME]`` in any detail before it is returned or stored.
"""

from __future__ import annotations

import os
import re

_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)
_MIN_LENGTH = 6  # shorter values ("1", "yes") would redact ordinary words


def secret_values() -> dict[str, str]:
    """Name to value of this process's variables that look like secrets."""
    return {
        name: value
        for name, value in os.environ.items()
        if _SECRET_NAME.search(name) and len(value.strip()) >= _MIN_LENGTH
    }


def redact(text: str) -> str:
    """``text`` with every secret-looking variable's value replaced by its name."""
    for name, value in sorted(secret_values().items(), key=lambda item: -len(item[1])):
        text = text.replace(value, f"[${name}]")
    return text
