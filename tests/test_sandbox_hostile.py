"""A hostile-code corpus: answers written to attack the grader, each with the outcome it must get.

The answer is model output, and a model may have read this repository, so every attack below knows
how the sandbox works. Each answer defines ``add(a, b)`` so that it returns the right value *only if
the attack succeeded*; otherwise it returns something wrong or dies. The check is always
``assert add(1, 2) == 3``: an attack that worked would be stored as a pass, so "not passed" is
what a correct sandbox guarantees, plus, per attack, that the host saw no effect (a canary file,
a canary variable, a server socket, our own process).

Runs on every ``make test`` where the namespaces exist; where they do not, the last test shows the
check is refused with a reason (never a silent pass).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import threading
from pathlib import Path

import pytest

from bench.quality.checks.sandbox import Limits, run_code, support_problem

LIMITS = Limits(timeout_s=3.0)
TEST = ["assert add(1, 2) == 3"]
needs_sandbox = pytest.mark.skipif(support_problem() is not None, reason=f"{support_problem()}")


def answer(body: str, prelude: str = "") -> str:
    """An answer whose ``add`` runs ``body`` (the attack) and returns 3 only when it sets ``won``."""
    lines = "".join(f"        {line}\n" for line in body.splitlines())
    return (
        "import os, sys, json, time, signal\n" + prelude + "\n"
        "def add(a, b):\n"
        "    won = False\n"
        "    try:\n" + lines + "    except BaseException:\n        pass\n"
        "    return a + b if won else 0\n"
    )


def not_passed(code: str, audit: bool = True, tests: list[str] = TEST) -> str:
    """Run the attack; it must not be a pass. Returns the detail for the attack's own assertions."""
    verdict = run_code(code, tests, LIMITS, audit=audit)
    assert verdict.passed is not True, f"the attack passed: {verdict.detail}"
    assert verdict.detail, "a verdict that is not a pass says why"
    return verdict.detail


FORGE_FRAMES = """
f = sys._getframe()
while f is not None:
    for name, value in list(f.f_locals.items()):
        if isinstance(value, int) and not isinstance(value, bool) and 2 < value < 1024:
            for text in ("('tests', [[('value', 3)]])", '{"ok": true, "passed": 1}'):
                for nonce in [v for v in f.f_locals.values() if isinstance(v, str) and len(v) == 32]:
                    try:
                        os.write(value, ("\\n" + nonce + " " + text + "\\n").encode())
                    except OSError:
                        pass
    f = f.f_back
os._exit(0)
"""

FORGE_ALL_FDS = """
for fd in range(64):
    for text in ('{"ok": true, "passed": 1}', "('tests', [[('value', 3)]])"):
        try:
            os.write(fd, ("\\n" + text + "\\n").encode())
        except OSError:
            pass
os._exit(0)
"""


@needs_sandbox
@pytest.mark.parametrize("audit", [True, False], ids=["audit-hook", "os-layers-only"])
def test_a_forged_pass_through_the_frames_is_not_a_pass(audit: bool) -> None:
    """The issue's attack: walk up to the child's main, write a pass on its result fd, exit at once."""
    not_passed(answer(FORGE_FRAMES), audit)


@needs_sandbox
def test_writing_a_pass_on_every_fd_is_not_a_pass() -> None:
    not_passed(answer(FORGE_ALL_FDS), audit=False)


REACH_THE_COLLECTOR = """
reached = []
for path in ["/proc/1/mem", *(f"/proc/1/fd/{fd}" for fd in range(64))]:
    try:
        reached.append(os.open(path, os.O_WRONLY))  # its memory, or its report file: either forges
    except OSError:
        pass
won = bool(reached)
"""


@needs_sandbox
def test_the_collector_memory_and_channel_are_out_of_reach() -> None:
    """Not dumpable, no capability left: /proc/<collector>/mem and its fds cannot be opened for writing."""
    not_passed(answer(REACH_THE_COLLECTOR), audit=False)


@needs_sandbox
def test_printing_fake_result_lines_is_not_a_pass() -> None:
    body = "for text in ('{\"ok\": true}', \"('tests', [[('value', 3)]])\"):\n    print(text)\n    print(text, file=sys.stderr)"
    not_passed(answer(body))


@needs_sandbox
@pytest.mark.parametrize("how", ["os._exit(0)", "sys.exit(0)", "raise SystemExit(0)"])
def test_exiting_early_is_not_a_pass(how: str) -> None:
    not_passed(answer(how))


@needs_sandbox
def test_patching_assertion_error_and_builtins_is_not_a_pass() -> None:
    body = (
        "import builtins\n"
        "class Never(Exception):\n    pass\n"
        "builtins.AssertionError = Never\n"
        "builtins.abs = lambda x: 0\n"
        "builtins.isinstance = lambda *a: True\n"
        "builtins.type = lambda *a: int\n"
        "builtins.repr = lambda x: '3'\n"
    )
    not_passed(answer(body))


@needs_sandbox
def test_an_object_equal_to_everything_is_not_a_pass() -> None:
    code = (
        "class Anything(int):\n"
        "    def __eq__(self, other):\n        return True\n"
        "    def __repr__(self):\n        return '3'\n"
        "    __hash__ = int.__hash__\n"
        "def add(a, b):\n    return Anything(0)\n"
    )
    assert "not plain data" in not_passed(code)


@needs_sandbox
def test_a_pickle_or_marshal_payload_is_not_a_pass(tmp_path: Path) -> None:
    canary = tmp_path / "pickled"
    payload = (
        "import pickle, marshal\n"
        f"pickle.loads(b\"cos\\nsystem\\n(S'touch {canary}'\\ntR.\")\n"
        "exec(marshal.loads(marshal.dumps(compile('won = True', 'x', 'exec'))))\n"
        "class Reduce:\n    def __reduce__(self):\n        return (os.system, ('true',))\n"
        "pickle.dumps(Reduce())\n"
    )
    not_passed(answer(payload))
    code = "import os\nclass R:\n    def __reduce__(self):\n        return (os.system, ('true',))\ndef add(a, b):\n    return R()\n"
    assert "not plain data" in not_passed(code)
    assert not canary.exists()


@needs_sandbox
def test_importing_the_sandbox_own_modules_is_not_a_pass() -> None:
    body = "from bench.quality.checks import sandbox\nwon = sandbox is not None\n"
    detail = not_passed(answer(body.replace("won = sandbox is not None", "won = True")))
    assert detail
    child = "import _sandbox_child\nwon = True"
    not_passed(answer(child))


@needs_sandbox
def test_sleeping_past_the_limit_is_stopped() -> None:
    detail = not_passed(answer("time.sleep(60)\nwon = True"))
    assert "timed out" in detail


@needs_sandbox
def test_a_cpu_loop_is_stopped() -> None:
    detail = not_passed(answer("while True:\n    pass"))
    assert "CPU time limit" in detail or "timed out" in detail  # which comes first depends on the load


@needs_sandbox
def test_a_memory_bomb_is_stopped() -> None:
    not_passed(answer("block = bytearray(3 * 1024**3)\nwon = len(block) > 0"))
    detail = not_passed("block = bytearray(3 * 1024**3)\ndef add(a, b):\n    return a + b\n")
    assert "MemoryError" in detail


@needs_sandbox
def test_a_fork_bomb_is_stopped() -> None:
    not_passed(
        answer("while True:\n    try:\n        os.fork()\n    except OSError:\n        pass"), audit=False
    )


@needs_sandbox
def test_filling_the_disk_stops_at_the_work_directory_size() -> None:
    code = (
        "import os\n"
        "def add(a, b):\n"
        "    for i in range(10_000):\n"
        "        with open(f'fill-{i}', 'wb') as f:\n"
        "            f.write(b'x' * 1024 * 1024)\n"
        "    return a + b\n"
    )
    detail = not_passed(code)
    assert "No space left" in detail


@needs_sandbox
@pytest.mark.parametrize("audit", [True, False], ids=["audit-hook", "os-layers-only"])
def test_writing_outside_the_work_directory_leaves_the_host_as_it_was(tmp_path: Path, audit: bool) -> None:
    target = tmp_path / "outside.txt"
    repo_file = Path(__file__).with_name(f"pwned-{secrets.token_hex(4)}.txt")
    body = f"open({str(target)!r}, 'w').write('pwned')\nopen({str(repo_file)!r}, 'w').write('x')\nwon = True"
    not_passed(answer(body), audit)
    assert not target.exists() and not repo_file.exists()


@needs_sandbox
def test_home_the_repository_and_ssh_keys_are_not_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    canary = f"SSH-CANARY-{secrets.token_hex(8)}"
    (home / ".ssh" / "id_ed25519").write_text(canary)
    monkeypatch.setenv("HOME", str(home))
    readme = Path(__file__).resolve().parents[1] / "README.md"
    body = (
        "found = []\n"
        f"for path in ({str(home / '.ssh' / 'id_ed25519')!r}, os.path.expanduser('~/.ssh/id_ed25519'),"
        f" {str(readme)!r}):\n"
        "    try:\n        found.append(open(path).read()[:40])\n    except OSError as exc:\n        pass\n"
        "raise RuntimeError(repr(found) + repr(os.listdir('/')))\n"
    )
    code = answer(body).replace("    except BaseException:\n        pass\n", "    finally:\n        pass\n")
    detail = not_passed(code, audit=False)
    assert canary not in detail
    assert "[]" in detail, detail  # nothing was readable
    assert "'home'" not in detail and "'tmp'" not in detail and "'etc'" not in detail  # not mounted


@needs_sandbox
def test_the_environment_is_not_within_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's leak: RuntimeError(json.dumps(os.environ)) put every API key into the stored detail."""
    canary = f"sk-canary-{secrets.token_hex(12)}"
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    monkeypatch.setenv("SLM_BENCH_KEY_TEAM", canary)
    code = "import os, json\ndef add(a, b):\n    raise RuntimeError(os.environ.get('OPENAI_API_KEY', '-') + json.dumps(dict(os.environ)))\n"
    detail = not_passed(code, audit=False)
    assert canary not in detail
    assert "OPENAI_API_KEY" not in detail
    proc = "def add(a, b):\n    import os\n    raise RuntimeError(str(sorted(os.listdir('/proc'))))\n"
    listed = not_passed(proc, audit=False)
    pids = [p for p in listed.split("'") if p.isdigit()]
    assert len(pids) <= 2, listed  # its own process tree, not the host's


@needs_sandbox
@pytest.mark.parametrize("audit", [True, False], ids=["audit-hook", "os-layers-only"])
def test_no_socket_reaches_the_host(audit: bool, tmp_path: Path) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(1.5)
    port = server.getsockname()[1]
    unix_path = str(tmp_path / "s.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(unix_path)
    unix.listen()
    accepted: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            accepted.append(server.accept())

    thread = threading.Thread(target=accept)
    thread.start()
    body = (
        "import socket\n"
        f"socket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'hi')\n"
        "won = True\n"
    )
    unix_body = f"import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({unix_path!r})\nwon = True\n"
    not_passed(answer(body), audit)
    not_passed(answer(unix_body), audit)
    thread.join()
    server.close()
    unix.close()
    assert accepted == []


@needs_sandbox
@pytest.mark.parametrize("family", ["AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET"])
def test_no_socket_of_any_family_can_be_created(family: str) -> None:
    """The seccomp filter, without the audit hook: socket() and socketpair() fail with EPERM."""
    kind = "SOCK_RAW" if family in ("AF_NETLINK", "AF_PACKET") else "SOCK_STREAM"
    code = f"import socket\ndef add(a, b):\n    socket.socket(socket.{family}, socket.{kind})\n    return a + b\n"
    assert "Operation not permitted" in not_passed(code, audit=False)
    pair = "import socket\ndef add(a, b):\n    socket.socketpair()\n    return a + b\n"
    assert "Operation not permitted" in not_passed(pair, audit=False)


@needs_sandbox
def test_signalling_the_parent_reaches_nothing() -> None:
    got: list[int] = []
    old = signal.signal(signal.SIGUSR1, lambda signum, _frame: got.append(signum))
    try:
        body = f"os.kill({os.getpid()}, signal.SIGUSR1)\nos.kill(os.getppid(), signal.SIGUSR1)\nwon = True\n"
        not_passed(answer(body), audit=False)
        not_passed(answer("os.kill(-1, signal.SIGUSR1)\nwon = True"), audit=False)
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert got == []


@needs_sandbox
def test_ptrace_and_ctypes_reach_nothing(tmp_path: Path) -> None:
    canary = tmp_path / "ctypes-ran"
    body = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None)\n"
        f"won = libc.ptrace(16, {os.getpid()}, 0, 0) == 0\n"  # PTRACE_ATTACH to the test process
    )
    not_passed(answer(body), audit=False)
    system = f"import ctypes\nwon = ctypes.CDLL(None).system(b'touch {canary}') == 0"
    not_passed(answer(system), audit=True)
    not_passed(answer(system), audit=False)
    assert not canary.exists()


@needs_sandbox
def test_subprocess_reaches_nothing(tmp_path: Path) -> None:
    canary = tmp_path / "subprocess-ran"
    body = f"won = __import__('subprocess').run(['touch', {str(canary)!r}]).returncode == 0"
    not_passed(answer(body), audit=True)
    not_passed(answer(body), audit=False)
    assert not canary.exists()


def test_where_namespaces_are_missing_the_check_is_refused_not_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No `unshare` on PATH stands for a host without the namespaces: 'not run' with the reason."""
    support_problem.cache_clear()
    monkeypatch.setenv("PATH", "/nonexistent")
    try:
        verdict = run_code("def add(a, b):\n    return a + b\n", TEST, LIMITS)
    finally:
        support_problem.cache_clear()
    assert verdict.passed is None
    assert verdict.detail.startswith("not run:") and "unshare" in verdict.detail
