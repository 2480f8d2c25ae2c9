"""The python_tests sandbox on hostile code: each attack is stopped, failed, and leaves the host as it was.

Every case runs twice: with the audit hook (the normal setting) and without it, so the operating
system layers (namespaces, read-only mounts, rlimits, the pids cgroup) are shown to hold on their own.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading

import psutil
import pytest

from bench.quality.checks.sandbox import Limits, extract_code, run_code, run_python_tests, support_problem

LIMITS = Limits(timeout_s=3.0)


def attack(body: str) -> str:
    """Hostile code inside a function that the check's assert calls (top-level demo calls are dropped)."""
    return "import os\nimport socket\nimport time\n\ndef attack():\n" + "".join(
        f"    {line}\n" for line in body.splitlines()
    )


def _leftovers(tag: str) -> list[int]:
    """Processes still carrying this run's tag on their command line (forked children inherit it)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if tag in " ".join(proc.info["cmdline"] or []):
            found.append(proc.pid)
    return found


def test_the_sandbox_works_on_this_machine() -> None:
    assert support_problem() is None


def test_correct_code_passes_and_wrong_code_fails() -> None:
    answer = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```\nIt adds."
    assert run_python_tests(answer, ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]).passed is True
    wrong = run_python_tests(
        answer.replace("a + b", "a - b"), ["assert add(0, 0) == 0", "assert add(1, 2) == 3"]
    )
    assert wrong.passed is False
    assert wrong.detail.startswith("test 1 failed")


def test_code_block_extraction() -> None:
    assert extract_code("```py\nx = 1\n```") == "x = 1\n"
    assert extract_code("text\n```\ny = 2\n```\n```python\nz = 3\n```") == "y = 2\n"
    assert extract_code("```bash\nls\n```\n") == "ls\n"
    assert extract_code("def f():\n    return 1\n") == "def f():\n    return 1"
    assert extract_code("Sure:\n```python\ndef f():\n    return 1\n") == "def f():\n    return 1\n"  # cut off


def test_the_answers_own_demo_and_self_tests_are_not_run() -> None:
    answer = (
        '```python\ndef double(x):\n    """Twice x."""\n    return 2 * x\n\n'
        "assert double(2) == 5  # the model's own wrong expectation\nprint(double(3))\nraise_me()\n"
        "if __name__ == '__main__':\n    raise SystemExit(1)\nLIMIT = double(4)\n```"
    )
    verdict = run_python_tests(answer, ["assert double(2) == 4", "assert LIMIT == 8"])
    assert verdict.passed is True, verdict.detail
    broken = run_python_tests("```python\ndef double(x)\n    return 2 * x\n```", ["assert double(1) == 2"])
    assert broken.passed is False and "SyntaxError" in broken.detail


def test_writing_inside_the_working_directory_is_allowed() -> None:
    code = attack("with open('notes.txt', 'w') as f:\n    f.write('hi')")
    verdict = run_code(code, ["attack()\nassert open('notes.txt').read() == 'hi'"], LIMITS)
    assert verdict.passed is True, verdict.detail


def test_exiting_early_is_not_a_pass() -> None:
    verdict = run_code(attack("os._exit(0)"), ["assert attack() == 1"], LIMITS, audit=False)
    assert verdict.passed is False
    assert "ended the test itself" in verdict.detail


@pytest.mark.parametrize("audit", [True, False], ids=["audit-hook", "os-layers-only"])
def test_fork_bomb_is_stopped_and_cleaned_up(audit: bool) -> None:
    tag = f"forkbomb-{secrets.token_hex(4)}"
    code = attack("while True:\n    try:\n        os.fork()\n    except Exception:\n        pass")
    verdict = run_code(code, ["assert attack() is None"], LIMITS, audit=audit, tag=tag)
    assert verdict.passed is False
    assert _leftovers(tag) == []


@pytest.mark.parametrize("audit", [True, False], ids=["audit-hook", "os-layers-only"])
def test_infinite_loops_are_stopped(audit: bool) -> None:
    busy = run_code(attack("while True:\n    pass"), ["assert attack() is None"], LIMITS, audit=audit)
    assert busy.passed is False
    assert "CPU time limit" in busy.detail or "timed out" in busy.detail  # which comes first depends on load
    tag = f"sleeper-{secrets.token_hex(4)}"
    sleeping = run_code(attack("time.sleep(60)"), ["assert attack() is None"], LIMITS, audit=audit, tag=tag)
    assert sleeping.passed is False
    assert "timed out" in sleeping.detail
    assert _leftovers(tag) == []


@pytest.mark.parametrize("audit", [True, False], ids=["audit-hook", "os-layers-only"])
def test_a_file_outside_the_directory_is_not_written(tmp_path, audit: bool) -> None:
    target = tmp_path / "outside.txt"
    victim = tmp_path / "keep.txt"
    victim.write_text("precious")
    code = attack(f"open({str(target)!r}, 'w').write('pwned')")
    removal = attack(f"os.remove({str(victim)!r})")
    verdict = run_code(code, ["assert attack() is None"], LIMITS, audit=audit)
    removed = run_code(removal, ["assert attack() is None"], LIMITS, audit=audit)
    assert verdict.passed is False and removed.passed is False
    assert not target.exists()
    assert victim.read_text() == "precious"


@pytest.mark.parametrize("audit", [True, False], ids=["audit-hook", "os-layers-only"])
def test_a_socket_cannot_reach_the_host(audit: bool) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(1.5)
    port = server.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            accepted.append(server.accept())

    thread = threading.Thread(target=accept)
    thread.start()
    code = attack(f"socket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'hi')")
    verdict = run_code(code, ["assert attack() is None"], LIMITS, audit=audit)
    thread.join()
    server.close()
    assert verdict.passed is False
    assert accepted == []


@pytest.mark.parametrize("audit", [True, False], ids=["audit-hook", "os-layers-only"])
def test_memory_is_capped(audit: bool) -> None:
    verdict = run_code(
        "block = bytearray(3 * 1024**3)\n", ["assert len(block) == 3221225472"], LIMITS, audit=audit
    )
    assert verdict.passed is False
    assert "MemoryError" in verdict.detail


def test_without_unshare_it_refuses_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """A platform that cannot cut the network off (here: no `unshare` on PATH) records 'not run', never a pass."""
    support_problem.cache_clear()
    monkeypatch.setenv("PATH", "/nonexistent")
    try:
        assert "needs `unshare`" in (support_problem() or "")
        verdict = run_code("def f():\n    return 1\n", ["assert f() == 1"], LIMITS)
        assert verdict.passed is None and verdict.detail.startswith("not run: ")
    finally:
        support_problem.cache_clear()
