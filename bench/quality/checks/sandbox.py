"""Run model-written Python and its asserts in a child process that cannot harm the host.

Layers, outermost first (Linux only; anything less and ``python_tests`` refuses to run, saying why):

1. ``unshare --user --map-root-user --net --mount --pid --fork --kill-child``: no network device but
   loopback, a private mount table, its own process tree (killing its first process kills them all).
2. Inside the mount namespace every mount is remounted read-only except an empty temporary
   directory that becomes the cwd, so a write anywhere else fails with EROFS.
3. ``resource.setrlimit``: address space, CPU seconds, file size, open files, and processes. The
   kernel does not apply RLIMIT_NPROC to root, so when SLM Bench runs as root the child is also put
   in its own ``pids`` cgroup (v1 or v2) with ``pids.max``; without one, it refuses.
4. A wall-clock limit: the whole process group is SIGKILLed when it runs over.
5. An audit hook (``sys.addaudithook``) in the child refuses sockets, new processes, ctypes and
   writes outside the working directory: a second layer that also gives a readable reason.

What runs: the answer's first Python code block without its own demo (top-level calls, asserts and
``if __name__ == "__main__"`` blocks are dropped: a model's wrong self-test must not fail a correct
function), then each of the check's asserts in the same namespace.

Every way the code can go wrong (a failing assert, an exception, a timeout, a blown limit) is a
failed check with the reason in ``detail``; nothing raises to the caller.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from bench.quality.checks.verdict import Verdict

CHILD = Path(__file__).with_name("_sandbox_child.py")

#: remount everything read-only but the working directory, prove it, then run the child
_MOUNT_SCRIPT = r"""
W="$1"; shift
mount --bind "$W" "$W" || exit 96
awk '{print $5}' /proc/self/mountinfo | while read -r mp; do
  [ "$mp" = "$W" ] || mount -o remount,bind,ro "$mp" 2>/dev/null || true
done
if [ -w / ] || [ -w "$(dirname "$W")" ]; then echo "sandbox: the file system is still writable" >&2; exit 97; fi
cd "$W" || exit 96
exec "$@"
"""
_UNSHARE = ["--user", "--map-root-user", "--net", "--mount", "--pid", "--fork", "--kill-child"]
_OPEN_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[^\n]*\n")
_FENCE = re.compile(r"```[ \t]*(?P<lang>[A-Za-z0-9_+-]*)[^\n]*\n(?P<body>.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Limits:
    """What one run of an answer's code may use."""

    timeout_s: float = 5.0
    memory_bytes: int = 512 * 1024 * 1024
    nproc: int = 16
    fsize_bytes: int = 4 * 1024 * 1024


def extract_code(answer: str) -> str:
    """The code of an answer: its first ```python (or unlabelled) block, else the whole answer.

    A block cut off by ``max_tokens`` (no closing fence) counts up to where the answer ends.
    """
    blocks = list(_FENCE.finditer(answer))
    for block in blocks:
        if block["lang"].lower() in ("python", "py", "python3", ""):
            return block["body"]
    if blocks:
        return blocks[0]["body"]
    opened = _OPEN_FENCE.search(answer)
    return answer[opened.end() :] if opened else answer.strip()


def _pids_cgroup_root() -> Path | None:
    """A writable pids controller: cgroup v1's ``pids`` hierarchy or v2 with ``pids`` enabled."""
    v1 = Path("/sys/fs/cgroup/pids")
    if (v1 / "cgroup.procs").exists() and os.access(v1, os.W_OK):
        return v1
    v2 = Path("/sys/fs/cgroup")
    control = v2 / "cgroup.subtree_control"
    if control.exists() and "pids" in control.read_text().split() and os.access(v2, os.W_OK):
        return v2
    return None


@functools.cache
def support_problem() -> str | None:
    """None when the sandbox works here, else the reason it cannot (checked once per process)."""
    if not sys.platform.startswith("linux"):
        return f"python_tests needs Linux namespaces; this is {sys.platform}"
    unshare = shutil.which("unshare")
    if unshare is None:
        return "python_tests needs `unshare` (util-linux) to cut the network off; it is not installed"
    probe = subprocess.run(
        [unshare, *_UNSHARE, "--", "/bin/sh", "-c", "mount --bind /tmp /tmp && true"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    if probe.returncode != 0:
        reason = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else f"exit {probe.returncode}"
        return (
            f"python_tests needs unprivileged user, network, mount and pid namespaces ({reason}); "
            "enable them (e.g. sysctl kernel.unprivileged_userns_clone=1) or run checks without code"
        )
    if os.geteuid() == 0 and _pids_cgroup_root() is None:
        return (
            "running as root, where the kernel ignores RLIMIT_NPROC, and no writable pids cgroup was found "
            "to stop a fork bomb; run SLM Bench as a normal user"
        )
    return None


@contextmanager
def _pids_cgroup(nproc: int) -> Iterator[Path | None]:
    """As root: a fresh pids cgroup capped at ``nproc``; emptied (SIGKILL) and removed afterwards."""
    root = _pids_cgroup_root() if os.geteuid() == 0 else None
    if root is None:
        yield None
        return
    group = root / f"slm-bench-sandbox-{secrets.token_hex(4)}"
    group.mkdir()
    try:
        (group / "pids.max").write_text(str(nproc))
        yield group
    finally:
        for _ in range(50):
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
            for pid in pids:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.05)


def _command(workdir: Path, cgroup: Path | None, tag: str) -> list[str]:
    python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    inner = [python, "-I", "-B", str(CHILD), tag]
    cmd = [shutil.which("unshare") or "unshare", *_UNSHARE, "--", "/bin/sh", "-c", _MOUNT_SCRIPT, "sh"]
    cmd += [str(workdir), *inner]
    if cgroup is not None:  # join the cgroup before anything forks
        cmd = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(cgroup / "cgroup.procs"), *cmd]
    return cmd


def _verdict(out: str, err: str, code: int, nonce: str, n_tests: int) -> Verdict:
    for line in reversed(out.splitlines()):
        if line.startswith(nonce + " "):
            report = json.loads(line[len(nonce) + 1 :])
            if report["ok"]:
                return Verdict(True, f"{report['passed']}/{n_tests} asserts passed")
            if report["stage"] == "limit":
                return Verdict(False, f"stopped: {report['error']}")
            if report["stage"] == "code":
                return Verdict(False, f"the code failed before the tests: {report['error']}")
            return Verdict(False, f"test {report['index']} failed: {report['error']}")
    tail = (err.strip().splitlines() or [""])[-1][:200]
    if code in (96, 97):
        return Verdict(None, f"not run: the sandbox could not be set up here ({tail})")
    if code < 0:
        return Verdict(False, f"killed by {signal.Signals(-code).name} (a limit was hit) {tail}".strip())
    return Verdict(False, f"the child ended without a result (exit {code}): {tail}".strip())


def run_code(
    code: str, tests: list[str], limits: Limits = Limits(), audit: bool = True, tag: str = ""
) -> Verdict:
    """Run ``code`` then ``tests`` in the sandbox. ``audit=False`` leaves only the OS layers (for tests)."""
    problem = support_problem()
    if problem:
        return Verdict(None, f"not run: {problem}")
    nonce = secrets.token_hex(16)
    job = {
        "nonce": nonce,
        "code": code,
        "tests": tests,
        "audit": audit,
        "memory_bytes": limits.memory_bytes,
        "cpu_s": max(1, int(limits.timeout_s + 0.999)),
        "nproc": limits.nproc,
        "fsize_bytes": limits.fsize_bytes,
    }
    with (
        tempfile.TemporaryDirectory(prefix="slm-bench-sandbox-") as workdir,
        tempfile.TemporaryDirectory(prefix="slm-bench-sandbox-io-") as io_dir,
        _pids_cgroup(limits.nproc) as cgroup,
    ):
        out_path, err_path = Path(io_dir, "out"), Path(io_dir, "err")
        with (
            out_path.open("wb") as out,
            err_path.open("wb") as err,
        ):  # files: a flood is capped by RLIMIT_FSIZE
            proc = subprocess.Popen(
                _command(Path(workdir), cgroup, tag or "sandbox"),
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            try:
                proc.communicate(json.dumps(job).encode(), timeout=limits.timeout_s + 2.0)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                return Verdict(False, f"timed out after {limits.timeout_s:g} s (killed)")
            finally:
                _kill_group(proc)  # stragglers the code left behind
        read = lambda p: p.read_bytes()[-65536:].decode("utf-8", "replace")  # noqa: E731
        return _verdict(read(out_path), read(err_path), proc.returncode, nonce, len(tests))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_python_tests(answer: str, tests: list[str], timeout_s: float = 5.0) -> Verdict:
    """The ``python_tests`` check: the answer's code block, then each assert, in the sandbox."""
    return run_code(extract_code(answer), tests, Limits(timeout_s=timeout_s))
