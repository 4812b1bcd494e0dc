"""Logs where they live: paths that are URLs (`s3://`, `gs://`, `file://`, ...) through fsspec.

On a cluster, copying a fleet's logs to one machine first is the slow part. A URL is listed here,
in the caller (folders walked, glob patterns expanded), and each file is read by the task that
parses it (`pipeline.inputs.read_source`), so on a Dask worker the bytes go from the store to the
worker that needs them and never through the client. The bytes then take the same path as a
local file's (`_unpack`): compression by magic bytes, archives in memory, decoding.

fsspec is part of the `dask` extra; cloud stores need their own package on every machine that
reads (`s3fs`, `gcsfs`, `adlfs`), and credentials come from that machine's environment.
"""

from __future__ import annotations

import datetime as dt
import glob
import re
from typing import TYPE_CHECKING, Any

from pipeline.errors import PostmortemError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from pipeline.inputs import Skipped, Source

MISSING_FSSPEC = "reading URLs needs fsspec: pip install 'postmortem[dask]'"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(text: str) -> bool:
    """`s3://bucket/key`, `file:///var/log`: a scheme and `://` (a local name never has both)."""
    return _URL.match(text) is not None


def find_remote(url: str) -> list[Source | Skipped]:
    """Every file under `url` to read (a file, a folder walked recursively, or a glob).

    Like local paths: nothing found at all is an error (a typo), dotfiles and the README/truth
    files of a folder are not logs, and files come in name order.
    """
    from pipeline.inputs import Source, _not_a_log_path

    fs, root = _filesystem(url)
    try:
        if glob.has_magic(root):
            matches = fs.glob(root, detail=True)
            if not matches:
                raise PostmortemError(f"no files match {url}")
            # As the shell's glob: a wildcard does not match dotfiles.
            entries = {
                path: info
                for path, info in matches.items()
                if not path.rstrip("/").rsplit("/", 1)[-1].startswith(".")
            }
        elif fs.isdir(root):
            entries = {root: {"type": "directory"}}
        elif fs.exists(root):
            entries = {root: fs.info(root)}
        else:
            raise PostmortemError(f"no such file or directory: {url}")
        files: dict[str, dict[str, Any]] = {}
        for path, info in sorted(entries.items()):
            if info.get("type") != "directory":
                files.setdefault(path, info)
                continue
            base = path.rstrip("/")
            for inner, inner_info in sorted(fs.find(path, detail=True).items()):
                relative = inner[len(base) :].lstrip("/")
                if not _not_a_log_path(relative):
                    files.setdefault(inner, inner_info)
    except (OSError, ValueError) as error:
        raise PostmortemError(f"cannot list {url}: {_one_line(error)}") from None
    out: list[Source | Skipped] = []
    for path in files:
        name = fs.unstrip_protocol(path)
        out.append(Source(name, None, url=name))
    return out


def read_remote(url: str) -> tuple[bytes, float | None]:
    """The raw bytes of the file at `url` and when it was last written, where the store says.

    Called in the task that parses the file: on a cluster, on the worker. Errors are `OSError`s
    (the caller turns them into a skipped file, like an unreadable local file).
    """
    fs, path = _filesystem(url)
    try:
        info = fs.info(path)
        data = fs.cat_file(path)
    except (ValueError, KeyError) as error:
        raise OSError(_one_line(error)) from None
    return bytes(data), _mtime(info)


def unreadable(error: OSError) -> str:
    """Why a listed file could not be read, in the words `inspect` shows for a skipped file."""
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileNotFoundError):
        return "gone since it was listed"
    return f"unreadable ({_one_line(error)})"


def _filesystem(url: str) -> tuple[AbstractFileSystem, str]:
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise PostmortemError(MISSING_FSSPEC) from None
    try:
        return url_to_fs(url)
    except (ImportError, ValueError) as error:  # an unknown scheme, or its package missing
        raise PostmortemError(f"cannot read {url}: {_one_line(error)}") from None


def _mtime(info: dict[str, Any]) -> float | None:
    """Last-modified time in epoch seconds: local `mtime` (a float), S3 `LastModified` (a
    datetime), GCS `updated` (ISO text); None when the store keeps none."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "modified", "created"):
        value = info.get(key)
        if value is None:
            continue
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
        if isinstance(value, dt.datetime):
            return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
    return None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
