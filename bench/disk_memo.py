"""Values computed once per state of everything they came from, kept on disk across restarts.

Why: preparing Results for a 10,000-request run (read, aggregates, eight chart specs, drift fits)
costs half a second of CPU. A restarted server did it again while the first tab waited: a bookmark of
Results opened right after `make app` drew its charts in 2.3 s against 1.7 s for any later tab
(``benchmarks/results_scale.md``). Read back from here it costs a few hundredths of a second.

A value is found only under a key naming all it was computed from, so it is never stale:

- the caller's key (for Results: database, run ids, each run's last update and request count);
- the SQLite file's state (:func:`sqlite_state`), which every committed write changes, runs or not
  (a database written in the last two seconds has none: nothing is kept or read for it then);
- the code (:func:`code_state`): every ``.py`` file under ``bench/`` and ``ui/`` and the versions of
  Python, pandas, numpy, pyarrow and Altair.

A file that cannot be read is computed again and replaced; a folder that cannot be written only
means nothing is kept. Files are pickles, which run code when read, so they belong in a folder only
its user writes (the app keeps them in :func:`bench.paths.results_cache_dir`, never beside a database
that may sit on a shared drive). They are written atomically; the newest :data:`KEEP` are kept,
:data:`MAX_BYTES` at most.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from bench.paths import REPO_ROOT

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here, so two processes may compute one value twice
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
KEEP = 64  # files: a few runs' worth of Results, specs and drift fits
MAX_BYTES = 256 * 2**20  # all of them together (the results layer of 10,000 requests is ~3.5 MB)
MAX_AGE_S = 14 * 24 * 3600
QUIET_S = 2.0  # a database written within this many seconds has no state (see sqlite_state)
CODE_DIRS = ("bench", "ui")
PACKAGES = ("pandas", "numpy", "pyarrow", "altair")
SUFFIX = ".pkl"
LOCK_NAME = "computing.lock"
LOCK_WAIT_S = 60.0  # a holder stuck longer than this (it never is) stops making the others wait
log = logging.getLogger(__name__)
_MISSING = object()
_held = threading.local()  # depth of computing() in this thread: a nested one takes no second lock


def _lock(handle: Any, wait_s: float) -> bool:
    """``flock`` the file exclusively, waiting up to ``wait_s``; False if it stayed held that long."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                log.debug("%s held for over %.0f s: computing without it", handle.name, wait_s)
                return False
            time.sleep(0.02)


def sqlite_state(path: Path, quiet_s: float = QUIET_S) -> tuple[Any, ...] | None:
    """Size and modification time of an SQLite file and of its write-ahead log; None while either was
    written less than ``quiet_s`` ago.

    In WAL mode a commit appends to ``<db>-wal`` (its size or time changes) and a checkpoint copies
    the log into the file (the file's time changes). Two writes within one tick of the file system's
    clock (milliseconds) could leave the same size and time, so a database written moments ago gets no
    state, and nothing is kept or read for it: once it has been quiet for ``quiet_s``, any later write
    lands at a later time. Reading changes nothing, except that the first connection creates an empty
    log: an empty log counts as none.
    """
    parts: list[Any] = []
    recent = time.time() - quiet_s
    for is_log, file in enumerate((path, path.with_name(path.name + "-wal"))):
        try:
            stat = file.stat()
        except FileNotFoundError:
            parts.append(None)
            continue
        if is_log and stat.st_size == 0:
            parts.append(None)
            continue
        if stat.st_mtime_ns / 1e9 > recent:
            return None
        parts.append((stat.st_size, stat.st_mtime_ns))
    return tuple(parts)


@lru_cache(maxsize=4)
def code_state(root: Path = REPO_ROOT, dirs: tuple[str, ...] = CODE_DIRS) -> str:
    """A hash of the code that computes what is kept: a changed chart or statistic is a new key."""
    digest = hashlib.sha256(sys.version.encode())
    for package in PACKAGES:
        try:
            digest.update(f"{package} {metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package} absent".encode())
    for folder in dirs:
        for path in sorted((root / folder).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class DiskMemo:
    """``get(key, make)``: the value kept under ``key`` in ``folder``, else ``make()``, kept."""

    def __init__(
        self, folder: Path, keep: int = KEEP, code: str | None = None, max_bytes: int = MAX_BYTES
    ) -> None:
        self.folder = folder
        self.keep = keep
        self.max_bytes = max_bytes
        self.code = code if code is not None else code_state()

    def path(self, key: tuple[Any, ...]) -> Path:
        """Where ``key``'s value is kept (``repr`` of plain tuples, strings and numbers is stable)."""
        digest = hashlib.sha256(repr((self.code, key)).encode()).hexdigest()
        return self.folder / f"{digest}{SUFFIX}"

    def get(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        """The value kept under ``key``; else ``make()``, kept, computed by one process at a time."""
        path = self.path(key)
        found = self._load(path)
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        with self.computing():
            found = self._load(path)  # kept by another process while this one waited for the lock
            if found is not _MISSING:
                return found  # type: ignore[no-any-return]
            value = make()
            self._save(path, value)
            return value

    @contextlib.contextmanager
    def computing(self) -> Iterator[None]:
        """Hold this folder's lock: another process (or thread) that needs a value computed meanwhile
        waits for it and reads it back, instead of computing it too.

        Why: a restarted app computes Results' first view in a process of its own while Streamlit
        starts (:mod:`bench.report.results_keeper`), on the other core; the page asking for the same
        value moments later must wait for that process, not race it on its own core. An advisory lock
        (``flock``), so a holder that dies releases it; nested in one thread it is taken once.
        """
        if getattr(_held, "depth", 0) or fcntl is None:
            yield
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = (self.folder / LOCK_NAME).open("a+b")
        except OSError:  # no folder to keep in: nothing is kept, so there is nothing to wait for
            yield
            return
        with handle:
            locked = _lock(handle, LOCK_WAIT_S)
            _held.depth = 1
            try:
                yield
            finally:
                _held.depth = 0
                if locked:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def _load(self, path: Path) -> Any:
        try:
            handle = path.open("rb")
        except OSError:  # not kept (yet), or no folder to keep it in
            return _MISSING
        try:
            with handle:
                value = pickle.load(handle)
        except Exception:  # cut short, another version's classes: computed again and replaced
            log.debug("unreadable cache file %s", path, exc_info=True)
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
            return _MISSING
        with contextlib.suppress(OSError):
            os.utime(path)  # the newest used are the ones kept
        return value

    def _save(self, path: Path, value: Any) -> None:
        temp: Path | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".tmp", delete=False) as handle:
                temp = Path(handle.name)
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, path)  # readers see the old file or the whole new one
            self._prune()
        except Exception:  # a read-only folder, a full disk, a value that cannot be pickled
            log.debug("not kept: %s", path, exc_info=True)
            if temp is not None:
                temp.unlink(missing_ok=True)

    def _prune(self) -> None:
        """Keep the newest :attr:`keep` files, no older than :data:`MAX_AGE_S`, together under :attr:`max_bytes`."""
        files = []
        for file in self.folder.glob(f"*{SUFFIX}"):
            try:
                stat = file.stat()
            except FileNotFoundError:  # removed by another process meanwhile
                continue
            files.append((stat.st_mtime, stat.st_size, file))
        files.sort(reverse=True)
        oldest = time.time() - MAX_AGE_S
        total = 0
        for rank, (mtime, size, file) in enumerate(files):
            total += size
            if rank >= self.keep or mtime < oldest or (rank > 0 and total > self.max_bytes):
                file.unlink(missing_ok=True)
