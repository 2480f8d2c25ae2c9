"""Runs inside the sandbox as pid 1 of its namespaces: a collector that never runs model code.

Stdlib only, started with ``python -I -B`` in an empty environment, chrooted into a root that holds
only the Python runtime and a small tmpfs work directory, with every capability dropped.

The collector reads the job (the answer's code, each test's setup and probe expressions; never the
expected values, which stay in the parent), makes itself non-dumpable (so no other process may
ptrace it or open its ``/proc/<pid>/mem``), then forks one *worker* per test. The worker closes the
collector's result channel, installs the audit hook, runs the answer's definitions, the test's
setup and its probes, and writes the probes' values (plain data, as ``repr``) to its own pipe. The
collector passes each worker's raw text and exit status to the parent, which parses and compares.
Model code can therefore only ever speak for the one test its worker runs, and only in values.
"""

import ast
import os
import resource
import signal
import sys

MARK = "SLM-BENCH-SANDBOX "
_WORKER_OUTPUT_MAX = 256 * 1024
_PLAIN = (int, float, str, bool, type(None), bytes)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_PATH_EVENTS = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.truncate",
    "os.symlink",
    "os.link",
    "os.utime",
    "shutil.rmtree",
}
_BLOCKED_PREFIXES = ("socket.", "ctypes.", "subprocess.", "os.fork", "os.posix_spawn", "os.spawn", "os.exec")
_BLOCKED = {"os.system", "os.kill", "os.killpg", "pty.spawn", "_posixsubprocess.fork_exec"}


def _limits(job):
    mem = job["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (job["cpu_s"], job["cpu_s"] + 1))
    resource.setrlimit(resource.RLIMIT_NPROC, (job["nproc"], job["nproc"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (job["fsize_bytes"], job["fsize_bytes"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _not_dumpable():
    """PR_SET_DUMPABLE 0: with no capabilities left, no process may trace or read the collector."""
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


#: system calls refused with EPERM by the seccomp filter: sockets of every family, tracing, namespaces,
#: mounts, keyrings, bpf, perf, userfaultfd and io_uring (per architecture: the numbers differ)
_DENIED_CALLS = {
    "x86_64": (
        0xC000003E,
        [41, 53, 101, 310, 311, 272, 308, 165, 166, 248, 249, 250, 321, 298, 323, 425, 426, 427],
    ),
    "aarch64": (
        0xC00000B7,
        [198, 199, 117, 270, 271, 97, 268, 40, 39, 217, 218, 219, 280, 241, 282, 425, 426, 427],
    ),
}


def _seccomp():
    """A classic-BPF filter: a denied call fails with EPERM; another architecture's ABI kills the process."""
    import ctypes
    import platform
    import struct

    arch, calls = _DENIED_CALLS[platform.machine()]
    kill, allow, eperm = 0x80000000, 0x7FFF0000, 0x00050000 | 1
    ins = [(0x20, 0, 0, 4), (0x15, 1, 0, arch), (0x06, 0, 0, kill), (0x20, 0, 0, 0)]
    if arch == 0xC000003E:
        ins.append((0x35, len(calls) + 1, 0, 0x40000000))  # x32 numbers: refused
    ins += [(0x15, len(calls) - i, 0, nr) for i, nr in enumerate(calls)]
    ins += [(0x06, 0, 0, allow), (0x06, 0, 0, eperm)]
    program = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in ins))

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = Prog(len(ins), ctypes.cast(program, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp filter not installed")


def _audit_hook(workdir):
    """Second layer (the namespaces and limits are the first): refuse sockets, processes and writes outside."""

    def inside(path):
        try:
            real = os.path.realpath(os.fsdecode(path) if not isinstance(path, int) else workdir)
        except (TypeError, ValueError):
            return False
        return real == workdir or real.startswith(workdir + os.sep)

    def hook(event, args):
        if event in _BLOCKED or event.startswith(_BLOCKED_PREFIXES):
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "open" and len(args) >= 3:
            path, mode, flags = args[0], args[1] or "", args[2] or 0
            writes = any(c in str(mode) for c in "wax+") or bool(flags & _WRITE_FLAGS)
            if writes and not inside(path):
                raise PermissionError(f"sandbox: writing {path!r} outside the working directory")
        elif event in _PATH_EVENTS and args and not inside(args[0]):
            raise PermissionError(f"sandbox: {event} on {args[0]!r} outside the working directory")

    return hook


def _definitions(code):
    """The answer's module without its own demo: top-level calls, asserts and ``if __name__`` blocks go.

    Models often append example calls or self-tests (``check()`` at top level, an ``assert`` with a
    wrong expectation); the check grades the function against *our* probes, not theirs.
    """
    tree = ast.parse(code, "answer.py")
    keep = []
    for node in tree.body:
        if isinstance(node, ast.Assert):
            continue
        if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant):
            continue  # a call or other expression; docstrings (constants) stay
        if isinstance(node, ast.If) and "__name__" in ast.dump(node.test):
            continue
        keep.append(node)
    tree.body = keep
    return compile(tree, "answer.py", "exec")


def _plain(value, depth=0):
    """``value`` if it is plain data by exact type (no subclass, so no method of the model's runs)."""
    kind = type(value)
    if depth > 20:
        raise TypeError("nested too deep")
    if kind in _PLAIN:
        return value
    if kind in (list, tuple, set, frozenset):
        items = [_plain(v, depth + 1) for v in value]
        return items if kind is list else tuple(items) if kind is tuple else kind(items)
    if kind is dict:
        return {_plain(k, depth + 1): _plain(v, depth + 1) for k, v in value.items()}
    raise TypeError(f"not plain data: a {kind.__name__}")


def _error(exc):
    try:
        return f"{type(exc).__name__}: {exc}"[:300]
    except BaseException:
        return type(exc).__name__[:100]


def _probe(code, steps):
    """One test: definitions, then setup and probes in order; the values (or the first error)."""
    scope = {"__name__": "answer", "__builtins__": __builtins__}
    try:
        exec(_definitions(code), scope)
    except BaseException as exc:
        return [("code", _error(exc))]
    out = []
    for kind, source in steps:
        try:
            if kind == "setup":
                exec(compile(source, "test", "exec"), scope)
                continue
            out.append(("value", _plain(eval(compile(source, "test", "eval"), scope))))
        except BaseException as exc:
            out.append(("error", _error(exc)))
            break
    return out


def _worker(job, steps, result_fd, write_end, workdir):
    """The only process that runs model code for this test; it can reach nothing but ``write_end``."""
    os.close(result_fd)
    if job["audit"]:
        sys.addaudithook(_audit_hook(workdir))
    text = repr(_probe(job["code"], steps))
    os.write(write_end, text.encode("utf-8", "replace"))
    os._exit(0)


def _collect(job, steps, result_fd, workdir):
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            _worker(job, steps, result_fd, write_end, workdir)
        finally:
            os._exit(70)
    os.close(write_end)
    chunks, size = [], 0
    while size <= _WORKER_OUTPUT_MAX:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    os.close(read_end)
    os.kill(pid, signal.SIGKILL) if size > _WORKER_OUTPUT_MAX else None
    _, status = os.waitpid(pid, 0)
    text = b"".join(chunks)[:_WORKER_OUTPUT_MAX].decode("utf-8", "replace")
    if os.WIFSIGNALED(status):
        return ("signal", signal.Signals(os.WTERMSIG(status)).name, text[:2000])
    return ("exit", os.WEXITSTATUS(status), text)


def main():
    import json

    job = json.loads(sys.stdin.read())
    result_fd = os.dup(1)
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.chdir(job["workdir"])
    workdir = os.path.realpath(os.getcwd())
    _not_dumpable()
    if job["seccomp"]:
        _seccomp()
    _limits(job)
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    results = [_collect(job, steps, result_fd, workdir) for steps in job["tests"]]
    os.write(result_fd, (MARK + repr(results)).encode())
    os._exit(0)


if __name__ == "__main__":
    main()
