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

from bench.checks.sandbox import Limits, extract_code, run_code, run_python_tests, support_problem

LIMITS = Limits(timeout_s=3.0)


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


def test_writing_inside_the_working_directory_is_allowed() -> None:
    code = "open('notes.txt', 'w').write('hi')\n"
    verdict = run_code(code, ["assert open('notes.txt').read() == 'hi'"], LIMITS)
    assert verdict.passed is True, verdict.detail


def test_exiting_early_is_not_a_pass() -> None:
    verdict = run_code("import os\nprint('ok')\nos._exit(0)\n", ["assert False"], LIMITS, audit=False)
    assert verdict.passed is False
    assert "without a result" in verdict.detail


@pytest.mark.parametrize("audit", [True, False], ids=["audit-hook", "os-layers-only"])
def test_fork_bomb_is_stopped_and_cleaned_up(audit: bool) -> None:
    tag = f"forkbomb-{secrets.token_hex(4)}"
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except Exception:\n        pass\n"
    verdict = run_code(code, ["assert True"], LIMITS, audit=audit, tag=tag)
    assert verdict.passed is False
    assert _leftovers(tag) == []


@pytest.mark.parametrize("audit", [True, False], ids=["audit-hook", "os-layers-only"])
def test_infinite_loops_are_stopped(audit: bool) -> None:
    busy = run_code("while True:\n    pass\n", ["assert True"], LIMITS, audit=audit)
    assert busy.passed is False
    assert "CPU time limit" in busy.detail
    tag = f"sleeper-{secrets.token_hex(4)}"
    sleeping = run_code("import time\ntime.sleep(60)\n", ["assert True"], LIMITS, audit=audit, tag=tag)
    assert sleeping.passed is False
    assert "timed out" in sleeping.detail
    assert _leftovers(tag) == []


@pytest.mark.parametrize("audit", [True, False], ids=["audit-hook", "os-layers-only"])
def test_a_file_outside_the_directory_is_not_written(tmp_path, audit: bool) -> None:
    target = tmp_path / "outside.txt"
    victim = tmp_path / "keep.txt"
    victim.write_text("precious")
    code = f"open({str(target)!r}, 'w').write('pwned')\nimport os\nos.remove({str(victim)!r})\n"
    verdict = run_code(code, ["assert True"], LIMITS, audit=audit)
    assert verdict.passed is False
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
    code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'hi')\n"
    verdict = run_code(code, ["assert True"], LIMITS, audit=audit)
    thread.join()
    server.close()
    assert verdict.passed is False
    assert accepted == []


@pytest.mark.parametrize("audit", [True, False], ids=["audit-hook", "os-layers-only"])
def test_memory_is_capped(audit: bool) -> None:
    verdict = run_code("block = bytearray(3 * 1024**3)\n", ["assert True"], LIMITS, audit=audit)
    assert verdict.passed is False
    assert "MemoryError" in verdict.detail
