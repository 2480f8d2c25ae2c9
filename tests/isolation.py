"""The test session's own data folder, and a guard that keeps tests out of the user's.

Seen (issue 18): after ``make test``, ``python -m bench models list`` showed ``tiny-test``: the
tests built and registered their model in the user's ``.slm-bench``. Now every test process
(pytest, its xdist workers, every CLI/app/service subprocess, which inherit the environment) uses
``SLM_BENCH_HOME`` = the test home (``<repo>/.slm-bench-test``, or ``SLM_BENCH_TEST_HOME``), kept
between sessions so its models are built once. The user's folder may be *read* (the default
model is copied from it when already converted there, to save a download and a conversion), and
an audit hook refuses any write into it from the test process itself.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TEST_HOME = Path(os.environ.get("SLM_BENCH_TEST_HOME") or REPO / ".slm-bench-test").expanduser().resolve()
# xdist workers (and any pytest a test starts) inherit SLM_BENCH_HOME = the test home: the user's
# folder is then the one the first process saw, passed on in SLM_BENCH_USER_HOME
USER_HOME = (
    Path(os.environ.get("SLM_BENCH_USER_HOME") or os.environ.get("SLM_BENCH_HOME") or REPO / ".slm-bench")
    .expanduser()
    .resolve()
)

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
# audit events whose path arguments are written to, and which of their arguments are paths
_PATH_EVENTS = {
    "os.mkdir": (0,), "os.remove": (0,), "os.rmdir": (0,), "os.rename": (0, 1), "os.replace": (0, 1),
    "os.link": (0, 1), "os.symlink": (1,), "os.truncate": (0,), "os.chmod": (0,), "os.utime": (0,),
    "shutil.rmtree": (0,), "shutil.move": (0, 1), "shutil.copytree": (1,), "shutil.copyfile": (1,),
    "sqlite3.connect": (0,),
}  # fmt: skip


class UserDataWrite(PermissionError):
    """A test tried to write into the user's data folder."""


def inside_user_home(path: Any) -> bool:
    """True for a path (str, bytes or PathLike; not an fd) at or under the user's data folder."""
    if isinstance(path, int) or path is None:
        return False
    try:
        raw = os.fsdecode(path)
    except TypeError:
        return False
    if raw in ("", ":memory:") or "://" in raw:
        return False
    full = os.path.abspath(raw)
    home = str(USER_HOME)
    return full == home or full.startswith(home + os.sep)


def _writes(event: str, args: tuple[Any, ...]) -> list[Any]:
    """The paths an audited call would write to (empty for reads and for other events)."""
    if event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(flags & _WRITE_FLAGS)
        return [path] if writing else []
    return [args[i] for i in _PATH_EVENTS.get(event, ()) if i < len(args)]


def _guard(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" and event not in _PATH_EVENTS:
        return
    for path in _writes(event, args):
        if inside_user_home(path):
            raise UserDataWrite(f"a test wrote into the user's data folder ({event} {os.fsdecode(path)}); "
                                f"tests use {TEST_HOME}")  # fmt: skip


def install() -> None:
    """Point this process and its children at the test home, and refuse writes to the user's."""
    if TEST_HOME == USER_HOME:
        raise RuntimeError(f"SLM_BENCH_TEST_HOME must differ from the user's data folder {USER_HOME}")
    TEST_HOME.mkdir(parents=True, exist_ok=True)
    os.environ["SLM_BENCH_HOME"] = str(TEST_HOME)
    os.environ["SLM_BENCH_USER_HOME"] = str(USER_HOME)  # for workers and child processes
    sys.addaudithook(_guard)


def user_models() -> set[str]:
    """What the user's ``models list`` is made of: model folders and Foundry registrations."""
    names = {p.name for p in (USER_HOME / "models").glob("*") if not p.name.startswith(".")}
    info = USER_HOME / "foundry-cache" / "foundry.local.modelinfo.json"
    try:
        data = json.loads(info.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    models = data.get("models", data) if isinstance(data, dict) else data
    for entry in models if isinstance(models, list) else []:
        if isinstance(entry, dict) and entry.get("id"):
            names.add(f"registered:{entry['id']}")
    return names


def _copy_in(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` through a private temporary name, so parallel workers never see
    half a copy (the loser of a race drops its copy)."""
    if dest.exists() or not src.exists():
        return
    tmp = dest.with_name(f".{dest.name}.seed-{os.getpid()}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, tmp, symlinks=True)
    else:
        shutil.copy2(src, tmp)
    try:
        os.rename(tmp, dest)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)


def seed_default_model(name: str) -> None:
    """Reuse the user's downloaded (and converted) default model: copies, never links, so nothing a
    test does to its copy reaches the user's files. The importer checks sha256 and manifest as usual."""
    for sub in (f"downloads/{name}.gguf", f"downloads/{name}.gguf.sha256", f"models/{name}"):
        _copy_in(USER_HOME / sub, TEST_HOME / sub)
