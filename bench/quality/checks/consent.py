"""Whether a run's ``python_tests`` may run without the person saying so: only SLM Bench's own tests.

Running code is consented to by the person, never by data: a prompt-set file or an imported bundle
that says ``allow_code_execution`` is ignored. The one exception is a run whose code checks are
exactly those of a set shipped in ``prompts/`` (same prompt id, same tests, same time limit): those
tests were reviewed with this repository, so running them needs no flag. Anything else needs
``--allow-code`` (CLI) or the confirmation box on the Run page.
"""

from __future__ import annotations

import functools
import json

from bench.inputs.check_spec import PythonTestsCheck
from bench.inputs.config import PromptSet, builtin_prompt_sets_dir, load_prompt_set

REFUSED = (
    "not run: code execution needs your consent for this prompt set (it is not built in): pass"
    " --allow-code to `python -m bench checks`, or tick 'run the answers' code' on the Run page"
)


def _code_checks(prompts: PromptSet) -> set[str]:
    """Each prompt's python_tests checks as one canonical text (id, tests, limit)."""
    return {
        json.dumps([item.id, check.tests, check.timeout_s])
        for item in prompts.prompts
        for check in item.checks
        if isinstance(check, PythonTestsCheck)
    }


@functools.cache
def _builtin_code_checks() -> frozenset[str]:
    found: set[str] = set()
    for path in sorted(builtin_prompt_sets_dir().glob("*.json")):
        found |= _code_checks(load_prompt_set(path))
    return frozenset(found)


def builtin_code(prompts: PromptSet) -> bool:
    """True when every code check of ``prompts`` is one shipped in ``prompts/`` (none: trivially)."""
    return _code_checks(prompts) <= _builtin_code_checks()


def needs_code_consent(prompts: PromptSet) -> bool:
    """True when ``prompts`` has python_tests that are not the built-in ones (the app asks first)."""
    return bool(_code_checks(prompts)) and not builtin_code(prompts)


def code_consent_note(prompts: PromptSet) -> str:
    """One sentence for the Prompts page: when this set's code would run ('' without code checks)."""
    if not _code_checks(prompts):
        return ""
    if builtin_code(prompts):
        return " Built-in tests: its code runs in the sandbox as shipped."
    return (
        " Its code runs in the sandbox only with your consent (the Run page's box or `--allow-code`);"
        " `allow_code_execution` in a file is ignored."
    )
