"""User-facing errors.

A ``BenchError`` names the bad input, says what is wrong and how to fix it. The CLI prints it
without a traceback and exits non-zero; the app shows it with ``st.error``. Anything else that
escapes is a bug in SLM Bench and keeps its traceback.
"""

from __future__ import annotations


class BenchError(Exception):
    """An error the user can fix: ``what`` went wrong with ``subject``, and ``fix`` says how."""

    def __init__(self, subject: str, what: str, fix: str = "") -> None:
        self.subject = subject
        self.what = what
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.subject}: {self.what}"
        return f"{text}\n  fix: {self.fix}" if self.fix else text


class ModelLoadError(BenchError):
    """A model could not be found or loaded; the runner marks that model failed and goes on."""


class EndpointError(BenchError):
    """An OpenAI-compatible endpoint is unreachable or does not speak the OpenAI API."""
