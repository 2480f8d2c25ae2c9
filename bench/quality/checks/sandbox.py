"""Run model-written Python in a child process that cannot harm the host, read a secret or forge a pass.

Layers, outermost first (Linux only; anything less and ``python_tests`` refuses to run, saying why):

1. ``unshare --user --map-root-user --net --mount --pid --fork --kill-child``: no network device but
   a loopback that is down, a private mount table, its own process tree (killing its first process
   kills them all).
2. A new root: a tmpfs holding only ``/usr`` and the Python prefix (read-only), ``/dev/null``, a
   fresh ``/proc`` for its own pid namespace and a size-limited tmpfs work directory; then
   ``chroot``, ``env -i`` (an empty environment) and ``setpriv`` (no capabilities, no new
   privileges). Home, the repository, ``.slm-bench/``, ``/tmp``, ``/run`` (and so every Unix
   socket on the host) are not there at all.
3. ``resource.setrlimit``: address space, CPU seconds, file size, open files, and processes. The
   kernel does not apply RLIMIT_NPROC to root, so when SLM Bench runs as root the child is also put
   in its own ``pids`` cgroup (v1 or v2) with ``pids.max``; without one, it refuses.
4. A wall-clock limit: the whole process group is SIGKILLed when it runs over.
5. A seccomp filter (installed by the collector, inherited by every worker): creating a socket of
   any family, ptrace, process_vm_*, unshare, setns, mount, keyrings, bpf, perf and io_uring fail
   with EPERM.
6. An audit hook (``sys.addaudithook``) in the worker refuses sockets, new processes, ctypes and
   writes outside the working directory: a second layer that also gives a readable reason.

The verdict is out of the code's reach: the tests are parsed here (:mod:`bench.inputs.assert_forms`),
only the setup and the left sides (probes) go into the sandbox, a fresh worker process per test
returns the probes' values, and :mod:`bench.quality.checks.grade` compares them with expected values
the sandbox never saw. See ``_sandbox_child`` for the collector/worker split.

What runs: the answer's first Python code block without its own demo (top-level calls, asserts and
``if __name__ == "__main__"`` blocks are dropped: a model's wrong self-test must not fail a correct
function), then the test's setup and probes in the same namespace.

Every way the code can go wrong (a wrong value, an exception, a timeout, a blown limit) is a
failed check with the reason in ``detail``; nothing raises to the caller.
"""

from __future__ import annotations

import functools
import json
import os
import platform
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

from bench.inputs.assert_forms import FormError, Step, parse_test
from bench.quality.checks.grade import grade
from bench.quality.checks.redact import redact
from bench.quality.checks.verdict import CheckVerdict

CHILD = Path(__file__).with_name("_sandbox_child.py")
WORKDIR = "/work"
SECCOMP_MACHINES = ("x86_64", "aarch64")  # the system-call tables in _sandbox_child._DENIED_CALLS

#: a new root (tmpfs) holding only /usr and the Python prefix read-only, /dev/null, an own /proc and a
#: size-limited tmpfs work directory; then chroot, an empty environment and no capabilities left
_MOUNT_SCRIPT = r"""
W="$1"; P="$2"; C="$3"; WORK_SIZE="$4"; shift 4
mount -t tmpfs -o size=2m,mode=0755 sandbox-root "$W" || exit 96
mkdir -p "$W/usr" "$W/proc" "$W/dev" "$W/work" "$W$P" || exit 96
mount --rbind /usr "$W/usr" && mount -o remount,bind,ro "$W/usr" || exit 96
mount --rbind "$P" "$W$P" && mount -o remount,bind,ro "$W$P" || exit 96
for l in bin lib lib32 lib64 sbin; do if [ -L "/$l" ]; then ln -s "$(readlink "/$l")" "$W/$l"; fi; done
touch "$W/dev/null" && mount --bind /dev/null "$W/dev/null" || exit 96
cp "$C" "$W/sandbox_child.py" || exit 96
mount -t proc proc "$W/proc" || exit 96
mount -t tmpfs -o "size=$WORK_SIZE,mode=0777" sandbox-work "$W/work" || exit 96
mount -o remount,bind,ro "$W" || exit 96
cd "$W" || exit 96
exec /usr/sbin/chroot "$W" /usr/bin/env -i /usr/bin/setpriv --no-new-privs \
  --bounding-set -all --inh-caps -all --ambient-caps -all -- "$@"
"""
_UNSHARE = ["--user", "--map-root-user", "--net", "--mount", "--pid", "--fork", "--kill-child"]
_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
_OPEN_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[^\n]*\n")
_FENCE = re.compile(r"```[ \t]*(?P<lang>[A-Za-z0-9_+-]*)[^\n]*\n(?P<body>.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Limits:
    """What one run of an answer's code may use."""

    timeout_s: float = 5.0
    memory_bytes: int = 512 * 1024 * 1024
    nproc: int = 16
    fsize_bytes: int = 4 * 1024 * 1024
    disk_bytes: int = 16 * 1024 * 1024


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
    if platform.machine() not in SECCOMP_MACHINES:
        return (
            f"python_tests' seccomp filter knows {', '.join(SECCOMP_MACHINES)}; this is {platform.machine()}"
        )
    unshare = shutil.which("unshare")
    if unshare is None:
        return "python_tests needs `unshare` (util-linux) to cut the network off; it is not installed"
    with tempfile.TemporaryDirectory(prefix="slm-bench-sandbox-probe-") as mount_point:
        probe = subprocess.run(
            _sandboxed(Path(mount_point), Limits(), ["-c", "pass"]),
            capture_output=True,
            text=True,
            timeout=20,
            env=_ENV,
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


def _python() -> tuple[str, str]:
    """The interpreter and the prefix it needs (mounted read-only); the venv itself is not mounted."""
    python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    return python, os.path.realpath(sys.base_prefix)


def _sandboxed(mount_point: Path, limits: Limits, args: list[str]) -> list[str]:
    """``unshare`` + the mount script + ``python -I -B`` with ``args``, in the new root."""
    python, prefix = _python()
    return [
        shutil.which("unshare", path=_ENV["PATH"]) or "unshare", *_UNSHARE, "--",
        "/bin/sh", "-c", _MOUNT_SCRIPT, "sh", str(mount_point), prefix, str(CHILD), str(limits.disk_bytes),
        python, "-I", "-B", *args,
    ]  # fmt: skip


def _command(mount_point: Path, cgroup: Path | None, tag: str, limits: Limits) -> list[str]:
    cmd = _sandboxed(mount_point, limits, ["/sandbox_child.py", tag])
    if cgroup is not None:  # join the cgroup before anything forks
        cmd = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(cgroup / "cgroup.procs"), *cmd]
    return cmd


def _no_report(err: str, code: int) -> CheckVerdict:
    """The verdict when the collector sent nothing: set-up failed (not run) or the sandbox was killed."""
    tail = redact((err.strip().splitlines() or [""])[-1][:200])
    if code in (96, 97):
        return CheckVerdict(None, f"not run: the sandbox could not be set up here ({tail})")
    if code < 0:
        return CheckVerdict(False, f"killed by {signal.Signals(-code).name} (a limit was hit) {tail}".strip())
    return CheckVerdict(False, f"the sandbox ended without a result (exit {code}): {tail}".strip())


def _job(code: str, tests: list[list[Step]], limits: Limits, audit: bool) -> bytes:
    """What the collector reads: the code and each test's setup and probe *expressions*, no expectations."""
    steps = [[("setup", s.setup) if s.setup is not None else ("probe", s.probe) for s in t] for t in tests]
    return json.dumps({
        "code": code,
        "tests": steps,
        "audit": audit,
        "seccomp": True,
        "workdir": WORKDIR,
        "memory_bytes": limits.memory_bytes,
        "cpu_s": max(1, int(limits.timeout_s + 0.999)),
        "nproc": limits.nproc,
        "fsize_bytes": limits.fsize_bytes,
    }).encode()  # fmt: skip


def run_code(
    code: str, tests: list[str], limits: Limits = Limits(), audit: bool = True, tag: str = ""
) -> CheckVerdict:
    """Run ``code`` then ``tests`` in the sandbox. ``audit=False`` leaves only the OS layers (for tests)."""
    try:
        parsed = [parse_test(t) for t in tests]
    except FormError as exc:  # a prompt set is checked when loaded; this is for direct callers
        return CheckVerdict(None, f"not run: a test cannot be checked safely ({exc})")
    problem = support_problem()
    if problem:
        return CheckVerdict(None, f"not run: {problem}")
    with (
        tempfile.TemporaryDirectory(prefix="slm-bench-sandbox-") as mount_point,
        tempfile.TemporaryDirectory(prefix="slm-bench-sandbox-io-") as io_dir,
        _pids_cgroup(limits.nproc) as cgroup,
    ):
        out_path, err_path = Path(io_dir, "out"), Path(io_dir, "err")
        with (
            out_path.open("wb") as out,
            err_path.open("wb") as err,
        ):  # files: a flood is capped by RLIMIT_FSIZE
            proc = subprocess.Popen(
                _command(Path(mount_point), cgroup, tag or "sandbox", limits),
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
                start_new_session=True,
                env=_ENV,
            )
            try:
                proc.communicate(
                    _job(code, parsed, limits, audit), timeout=limits.timeout_s * len(tests) + 2.0
                )
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                return CheckVerdict(False, f"timed out after {limits.timeout_s:g} s per test (killed)")
            finally:
                _kill_group(proc)  # stragglers the code left behind
        read = lambda p: p.read_bytes()[-(2 * 1024 * 1024) :].decode("utf-8", "replace")  # noqa: E731
        verdict = grade(read(out_path), parsed) or _no_report(read(err_path), proc.returncode)
        return CheckVerdict(verdict.passed, redact(verdict.detail))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_python_tests(answer: str, tests: list[str], timeout_s: float = 5.0) -> CheckVerdict:
    """The ``python_tests`` check: the answer's code block, then each test's probes, in the sandbox."""
    return run_code(extract_code(answer), tests, Limits(timeout_s=timeout_s))
