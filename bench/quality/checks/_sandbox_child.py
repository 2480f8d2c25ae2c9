"""Runs inside the sandbox (pid 1 of its own namespaces): limits, audit hook, then the code and its asserts.

Stdlib only, started with ``python -I -B``. Reads the job from stdin *before* any model code runs,
so the nonce that marks the genuine result line is not lying around for the code to copy.
"""

import ast
import json
import os
import resource
import signal
import sys

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
    wrong expectation); the check grades the function against *our* asserts, not theirs.
    Definitions, imports and assignments stay.
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


def _run(code, tests):
    """Execute the answer's definitions, then each test; the first failure ends it."""
    scope = {"__name__": "answer", "__builtins__": __builtins__}
    try:
        exec(_definitions(code), scope)
    except BaseException as exc:
        return {"ok": False, "stage": "code", "error": f"{type(exc).__name__}: {exc}"[:300]}
    for index, test in enumerate(tests):
        try:
            exec(compile(test, f"test {index}", "exec"), scope)
        except AssertionError as exc:
            return {"ok": False, "stage": "test", "index": index, "error": f"AssertionError {exc}".strip()}
        except BaseException as exc:
            return {
                "ok": False,
                "stage": "test",
                "index": index,
                "error": f"{type(exc).__name__}: {exc}"[:300],
            }
    return {"ok": True, "passed": len(tests)}


def main():
    job = json.loads(sys.stdin.read())
    sys.stdin.close()
    nonce = job.pop("nonce")
    result_fd = os.dup(1)
    workdir = os.path.realpath(os.getcwd())
    _limits(job)

    def out_of_cpu(_signum, _frame):
        report = {"ok": False, "stage": "limit", "error": f"CPU time limit ({job['cpu_s']} s) reached"}
        os.write(result_fd, ("\n" + nonce + " " + json.dumps(report) + "\n").encode())
        os._exit(0)

    signal.signal(signal.SIGXCPU, out_of_cpu)
    if job["audit"]:
        sys.addaudithook(_audit_hook(workdir))
    report = _run(job["code"], job["tests"])
    os.write(result_fd, ("\n" + nonce + " " + json.dumps(report) + "\n").encode())
    os._exit(0)


if __name__ == "__main__":
    main()
