"""Turn what the user pointed at into text streams: walk, glob, decompress, unpack, decode, order.

People copy whatever is on the box after an outage: folders, `*.log` they did not let the shell
expand, `journalctl | postmortem inspect -`, rotated `.1` / `.2.gz` / `-20240314` series, a
`logs.tar.gz` someone attached to the ticket. Each becomes one `Input` (a file, an archive member
shown as `bundle.tar.gz!path/inside`, or stdin) or one `Skipped` with the reason, never an
exception: only a path that does not exist at all is an error, because that is a typo.

Compression is recognised by its magic bytes, not its name (rotated files are often renamed), and
archives are read in memory, never extracted to disk.
"""

from __future__ import annotations

import bz2
import errno
import glob
import gzip
import io
import lzma
import os
import re
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.errors import PostmortemError
from pipeline.remote import find_remote, is_url, read_remote, unreadable  # fsspec: lazily

BINARY_PROBE = 8192  # bytes inspected for NULs to call a file binary
_NEWLINE = ord("\n")
MAX_LINE_BYTES = 1 << 20  # longer lines are cut here (and counted): one runaway line is not a log
MAX_NESTING = 4  # compression layers and archives inside archives
# Files whose text is larger than this are read and parsed a block at a time, so that memory
# holds one block of text, not the whole file (a 10M-line access log is 2 GB of text).
BLOCK_BYTES = 64 << 20
FIRST_BLOCK_LINES = 1000  # at least: format detection and the compose check read the first 200
STDIN_NAME = "<stdin>"

_GZIP, _BZIP2, _XZ, _ZSTD = b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_COMPRESSED_SUFFIX = re.compile(r"\.(?:gz|bz2|xz|zst|zstd)$")
# `access.log.3`, `access.log-20240314`, `access.log.2024-03-14`, `syslog-2024031406`.
_ROTATED = re.compile(
    r"^(?P<base>.+?)(?:\.(?P<number>\d{1,3})"
    r"|[.-](?P<date>\d{8}(?:\d{2}){0,3}|\d{4}-\d\d-\d\d(?:[T_.-]?\d\d(?:[:.-]?\d\d){0,2})?))$"
)
_NOT_LOGS = {"readme.md", "readme", "readme.txt", "truth.json"}


@dataclass(frozen=True)
class Input:
    """One stream of log lines and how faithfully its bytes became text."""

    name: str  # as shown to the user: relative path, `bundle.tar.gz!member`, or `<stdin>`
    lines: pa.Array  # pa.string(), one element per line, without the line break
    mtime: float | None  # when the file was last written (None for stdin)
    invalid_utf8: int  # replacement characters introduced while decoding
    truncated_lines: int  # lines cut at MAX_LINE_BYTES
    # A large file is read a block at a time: `lines` is its first block, and `rest` yields the
    # others, each with its own counts, as they are needed (None: `lines` is the whole file).
    rest: Iterator[Chunk] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Chunk:
    """One block of a large file's lines, with what decoding it cost."""

    lines: pa.Array
    invalid_utf8: int
    truncated_lines: int


@dataclass(frozen=True)
class Skipped:
    """Something the user pointed at that holds no readable log lines, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Source:
    """One thing to read, found but not yet read: a file, or the bytes that came on stdin.

    Finding is cheap and reading is not, so the reading can happen one source at a time (or on
    another machine): a source is picklable and reads the same wherever `read_source` runs.
    """

    name: str
    path: Path | None  # None: stdin (bytes in `data`) or a URL
    data: bytes | None = None
    url: str | None = None  # `s3://...`: read through fsspec where the task runs

    @property
    def size(self) -> int:
        """Bytes to read as stored (compressed files count as they are on disk); 0 for a URL
        or a file that cannot be looked at: what an engine weighs sources by."""
        if self.data is not None:
            return len(self.data)
        if self.path is None:
            return 0
        try:
            return self.path.stat().st_size
        except OSError:
            return 0


def find_sources(paths: Sequence[Path | str]) -> list[Source | Skipped]:
    """Every file under `paths` to read, or why it is skipped; stdin is read here, once.

    Missing paths are an error before any work is done: a typo should not produce a draft.
    A URL (`s3://...`, given as a str: `Path` would fold its `//`) is listed by
    `pipeline.remote`.
    """
    out: list[Source | Skipped] = []
    for name, path, reason in _expand(paths):
        if reason is not None:
            out.append(Skipped(name, reason))
        elif isinstance(path, str):
            out.extend(find_remote(path))
        elif path is None:
            out.append(Source(name, None, _read_stdin()))
        else:
            # Absolute: the source may be read in another working directory (a Dask worker).
            out.append(Source(name, path.absolute()))
    return out


def read_source(source: Source) -> list[Input | Skipped]:
    """The log streams of one source: itself, or the members of an archive.

    A plain or singly compressed file larger than `BLOCK_BYTES` of text comes back as one
    `Input` whose `rest` reads the blocks after the first; everything else (and a URL) is read
    whole.
    """
    if source.url is not None:
        try:
            raw, mtime = read_remote(source.url)
        except OSError as error:
            return [Skipped(source.name, unreadable(error))]
        return _unpack(source.name, raw, mtime, 0)
    if source.path is None:
        return _unpack(source.name, source.data or b"", None, 0)
    try:
        mtime = source.path.stat().st_mtime
        streamed = _read_blocks(source.name, source.path, mtime, BLOCK_BYTES)
        if streamed is not None:
            return [streamed]
        raw = _read_bytes(source.path)
    except OSError as error:
        return [Skipped(source.name, _reason(error))]
    return _unpack(source.name, raw, mtime, 0)


def _read_blocks(name: str, path: Path, mtime: float, block_bytes: int) -> Input | None:
    """A large plain-text file as its first block of lines plus the rest to come, or None when
    the file is small, or is anything whose reading needs all of it (an archive, nested
    compression, UTF-16, binary): the whole-file path handles those."""
    with open(path, "rb") as handle:
        magic = handle.read(6)
    if magic.startswith((_ZSTD, *_ZIP)):
        return None  # zstd needs its optional package, a zip its directory: read whole
    opener = next((open_ for m, open_ in _STREAM_OPENERS.items() if magic.startswith(m)), open)
    handle = opener(path, "rb")
    try:
        head = handle.read(block_bytes)
        ended = len(head) < block_bytes
        # Detection votes on the first lines: the first block holds enough of them.
        while not ended and head.count(b"\n") < FIRST_BLOCK_LINES:
            more = handle.read(block_bytes)
            ended = len(more) < block_bytes
            head += more
        if ended or _needs_whole(head):
            handle.close()
            return None
        first, carry = _block_lines(head)
    except (OSError, EOFError, lzma.LZMAError, zlib.error):
        handle.close()
        return None  # the whole-file path reports what is wrong with it
    if first is None:
        handle.close()
        return None
    return Input(
        name, first.lines, mtime, first.invalid_utf8, first.truncated_lines,
        rest=_more_blocks(handle, carry, block_bytes),
    )  # fmt: skip


_STREAM_OPENERS = {_GZIP: gzip.open, b"BZh": bz2.open, _XZ: lzma.open}


def _needs_whole(head: bytes) -> bool:
    """Text the block reader must not split: archives, another compression layer, binary data,
    UTF-16 (whose newlines are not single bytes)."""
    return (
        head[:4] in _ZIP
        or head[257:262] == b"ustar"
        or head[:2] in (_GZIP, b"\xff\xfe", b"\xfe\xff")
        or head[:3] == _BZIP2
        or head[:6] == _XZ
        or head[:4] == _ZSTD
        or b"\x00" in head[:BINARY_PROBE]
    )


def _block_lines(data: bytes, at_end: bool = False) -> tuple[Chunk | None, bytes]:
    """The complete lines of `data` as a chunk, and the bytes after its last newline (carried
    into the next block). None when `data` holds no complete line yet."""
    cut = len(data) if at_end else data.rfind(b"\n") + 1
    if cut == 0:
        return None, data
    return _decoded(data[:cut]), data[cut:]


def _decoded(raw: bytes) -> Chunk:
    """The lines of `raw`: split as UTF-8 without decoding when it is, else decoded (counting
    the bytes that were not)."""
    fast = split_utf8(raw)
    if fast is not None:
        lines, truncated = fast
        return Chunk(lines, 0, truncated)
    text, invalid = decode(raw)
    lines, truncated = split_lines(text)
    return Chunk(lines, invalid, truncated)


def _more_blocks(handle: io.BufferedIOBase, carry: bytes, block_bytes: int) -> Iterator[Chunk]:
    """The blocks after the first, read only when asked for.

    Corrupt compressed data raises `Unreadable`: the file is then skipped with that reason, as
    the whole-file path skips it, rather than drafted from the part before the damage.
    """
    try:
        while True:
            try:
                data = handle.read(block_bytes)
            except (OSError, EOFError, lzma.LZMAError, zlib.error) as error:
                raise Unreadable(f"corrupt compressed data ({error})") from None
            if not data:
                if carry:
                    chunk, _ = _block_lines(carry, at_end=True)
                    if chunk is not None:
                        yield chunk
                return
            chunk, carry = _block_lines(carry + data)
            if chunk is not None:
                yield chunk
    finally:
        handle.close()


def rotation_key(name: str) -> tuple[str, int, str, int]:
    """Sort key that puts a rotated series in time order: dated, then `.N` (highest first), live.

    `access.log.2.gz` < `access.log.1` < `access.log`; `app.log-20240313` < `app.log-20240314`.
    """
    stem = _COMPRESSED_SUFFIX.sub("", name)
    match = _ROTATED.match(stem)
    if match is None:
        return (stem, 2, "", 0)
    if match["date"] is not None:
        return (match["base"], 0, re.sub(r"\D", "", match["date"]), 0)
    return (match["base"], 1, "", -int(match["number"]))


def split_lines(text: str) -> tuple[pa.Array, int]:
    """Lines of `text` (LF or CRLF) as a string array, and how many were cut at MAX_LINE_BYTES.

    Split by pyarrow, not into a Python list: a million short lines would cost a million objects.
    """
    text = text.replace("\r\n", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    elif not text:
        return pa.array([], pa.string()), 0
    lines = pc.split_pattern(pa.array([text], pa.large_string()), "\n").flatten()
    return _cut_long(lines)


def split_utf8(raw: bytes) -> tuple[pa.Array, int] | None:
    """`split_lines(decode(raw))` without decoding to a Python str, or None when `raw` is not
    plain valid UTF-8 (UTF-16, bad bytes: the caller takes the decoding path, which counts them).

    Lines are cut where numpy finds the newlines and arrow checks UTF-8 in one pass: decoding a
    200 MB file into a str, copying it and encoding it again for arrow cost seconds.
    """
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    if not raw:
        return pa.array([], pa.string()), 0
    if b"\r\n" in raw:
        raw = raw.replace(b"\r\n", b"\n")
    if not raw.endswith(b"\n"):
        raw += b"\n"
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == _NEWLINE)
    offsets = np.empty(len(ends) + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = ends + 1
    with_newlines = pa.Array.from_buffers(
        pa.large_binary(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(raw)]
    )
    try:
        lines = pc.cast(pc.binary_slice(with_newlines, 0, -1), pa.large_string())
    except pa.ArrowInvalid:  # not UTF-8
        return None
    return _cut_long(lines)


def _cut_long(lines: pa.Array) -> tuple[pa.Array, int]:
    """Lines longer than MAX_LINE_BYTES cut there (on a character boundary), and how many."""
    long = pc.greater(pc.binary_length(lines), MAX_LINE_BYTES)
    truncated = pc.sum(long).as_py() or 0
    if truncated:
        # Rare, so a Python loop over the long lines only; cut on a character boundary.
        cut = [
            line.encode("utf-8")[:MAX_LINE_BYTES].decode("utf-8", errors="ignore")
            for line in lines.filter(long).to_pylist()
        ]
        lines = pc.replace_with_mask(lines, long, pa.array(cut, pa.large_string()))
    return pc.cast(lines, pa.string()), truncated


def decode(raw: bytes) -> tuple[str, int]:
    """UTF-8 (or BOM-marked UTF-16) text with bad bytes replaced, and how many were replaced."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = raw.decode("utf-16", errors="replace")
        return text, text.count("\ufffd")
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
    invalid = text.count("\ufffd") - raw.count("\ufffd".encode())
    return text, max(invalid, 0)


def _expand(paths: Sequence[Path | str]) -> Iterator[tuple[str, Path | str | None, str | None]]:
    """(name, path or None for stdin or the URL itself, reason it is skipped or None) for every
    file to read."""
    seen: dict[tuple[int, int], str] = {}
    for given in paths:
        text = str(given)
        if text == "-":
            yield STDIN_NAME, None, None
        elif is_url(text):
            yield text, text, None
        elif os.path.lexists(given):
            yield from _expand_existing(Path(given), seen)
        elif glob.has_magic(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise PostmortemError(f"no files match {text}")
            for match in matches:
                yield from _expand_existing(Path(match), seen)
        else:
            raise PostmortemError(f"no such file or directory: {given}")


def _expand_existing(
    path: Path, seen: dict[tuple[int, int], str]
) -> Iterator[tuple[str, Path | None, str | None]]:
    try:
        is_dir = path.is_dir()
    except OSError:
        is_dir = False
    if is_dir:
        yield from _walk(path, seen, ancestors=frozenset())
    else:
        yield _file(path, seen)


def _walk(
    directory: Path, seen: dict[tuple[int, int], str], ancestors: frozenset[tuple[int, int]]
) -> Iterator[tuple[str, Path | None, str | None]]:
    """Files under `directory`, following symlinks but never around a loop or twice."""
    name = _display(directory)
    try:
        status = directory.stat()
        key = (status.st_dev, status.st_ino)
        if key in ancestors:
            yield name, directory, "symlink loop"
            return
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as error:
        yield name, directory, _reason(error)
        return
    inside = ancestors | {key}
    for entry in entries:
        if _not_a_log(entry.name):
            continue
        child = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(child, seen, inside)
        else:
            yield _file(child, seen)


def _file(path: Path, seen: dict[tuple[int, int], str]) -> tuple[str, Path | None, str | None]:
    """One file to read, or why not: a dangling or looping link, or the same file seen before."""
    name = _display(path)
    try:
        status = path.stat()
    except OSError as error:
        return name, path, _reason(error)
    key = (status.st_dev, status.st_ino)
    if key in seen and seen[key] != name:
        return name, path, f"same file as {seen[key]}"
    seen[key] = name
    return name, path, None


def _unpack(name: str, raw: bytes, mtime: float | None, depth: int) -> list[Input | Skipped]:
    """Decompress by magic bytes, open archives in memory, and decode what is left as text."""
    try:
        raw = _decompress(raw)
    except Unreadable as error:
        return [Skipped(name, str(error))]
    if depth < MAX_NESTING and raw[:4] in _ZIP:
        return _unzip(name, raw, depth)
    if depth < MAX_NESTING and raw[257:262] == b"ustar":
        return _untar(name, raw, depth)
    if b"\x00" in raw[:BINARY_PROBE] and raw[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        return [Skipped(name, "binary file")]
    chunk = _decoded(raw)
    return [Input(name, chunk.lines, mtime, chunk.invalid_utf8, chunk.truncated_lines)]


class Unreadable(Exception):
    """Bytes we recognised but could not decode; the message says why."""


def _decompress(raw: bytes) -> bytes:
    for _ in range(MAX_NESTING):
        try:
            if raw[:2] == _GZIP:
                raw = gzip.decompress(raw)
            elif raw[:3] == _BZIP2 and raw[3:4].isdigit():
                raw = bz2.decompress(raw)
            elif raw[:6] == _XZ:
                raw = lzma.decompress(raw)
            elif raw[:4] == _ZSTD:
                raw = _unzstd(raw)
            else:
                return raw
        except (OSError, EOFError, ValueError, lzma.LZMAError) as error:
            raise Unreadable(f"corrupt compressed data ({error})") from None
    return raw


def _unzstd(raw: bytes) -> bytes:
    try:
        import zstandard  # optional: only needed for .zst files
    except ImportError:
        raise Unreadable("zstd-compressed; install the zstandard package to read it") from None
    try:
        # read_across_frames: `zstd` appends a frame per write, like multi-member gzip.
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        data = reader.read()
    except zstandard.ZstdError as error:
        raise Unreadable(f"corrupt compressed data ({error})") from None
    if not data:  # a truncated frame decodes to nothing instead of failing
        raise Unreadable("corrupt compressed data (truncated zstd frame)")
    try:
        return data
    except zstandard.ZstdError as error:
        raise Unreadable(f"corrupt compressed data ({error})") from None


def _unzip(name: str, raw: bytes, depth: int) -> list[Input | Skipped]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        return [Skipped(name, f"corrupt zip archive ({error})")]
    out: list[Input | Skipped] = []
    for member in members:
        if _not_a_log_path(member.filename):
            continue
        inner = f"{name}!{member.filename}"
        try:
            data = archive.read(member)
        except (zipfile.BadZipFile, RuntimeError, OSError, ValueError, EOFError) as error:
            out.append(Skipped(inner, f"unreadable zip member ({error})"))
            continue
        mtime = _zip_mtime(member)
        out.extend(_unpack(inner, data, mtime, depth + 1))
    return out


def _untar(name: str, raw: bytes, depth: int) -> list[Input | Skipped]:
    out: list[Input | Skipped] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as archive:
            for member in archive:
                if not member.isfile() or _not_a_log_path(member.name):
                    continue
                inner = f"{name}!{member.name}"
                handle = archive.extractfile(member)
                data = handle.read() if handle is not None else b""
                out.extend(_unpack(inner, data, float(member.mtime), depth + 1))
    except (tarfile.TarError, OSError, EOFError) as error:
        out.append(Skipped(name, f"corrupt tar archive ({error})"))
    return out


def _zip_mtime(member: zipfile.ZipInfo) -> float | None:
    import datetime as dt

    try:
        return dt.datetime(*member.date_time, tzinfo=dt.UTC).timestamp()
    except ValueError:
        return None


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _read_stdin() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is not None:
        return stream.read()
    return sys.stdin.read().encode("utf-8", errors="surrogateescape")


def _reason(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "permission denied"
    if error.errno == errno.ELOOP:
        return "symlink loop"
    if error.errno == errno.ENOENT:
        return "broken symlink"
    return error.strerror or str(error)


def _not_a_log(name: str) -> bool:
    """Dotfiles and the README/truth files that describe a bundle are not logs."""
    return name.startswith(".") or name.lower() in _NOT_LOGS


def _not_a_log_path(member: str) -> bool:
    parts = [part for part in member.split("/") if part]
    return any(_not_a_log(part) or part == "__MACOSX" for part in parts)


def _display(path: Path) -> str:
    """Relative to the working directory when the file is under it, else as the user gave it."""
    absolute = Path(os.path.abspath(path))
    for base in (Path.cwd(), Path.cwd().resolve()):  # the working directory may be a link
        try:
            return absolute.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.as_posix()
