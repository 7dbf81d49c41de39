"""Writing outputs so that a file is either complete or absent, and reading parquet files back only
when they are intact.

- :func:`atomic_write` writes through a temporary file (or directory) next to the target and
  renames it into place with ``os.replace``: a reader, a resumed run or a crash (``kill -9``, power
  loss while the rename has not happened) never sees half a file. If writing fails the temporary is
  removed, so nothing is left behind.
- A full disk (``ENOSPC``, ``EDQUOT``, ``EFBIG``) becomes one :class:`OutputError` line that names the
  file and says what to do, instead of an ``Errno 28`` traceback.
- :func:`write_parquet` records a small JSON document in the file's schema metadata (what the file
  is, for whoever reads it back) and writes a CRC checksum for every data page;
  :func:`read_parquet_checked` verifies those checksums and returns the document, raising
  :class:`UnreadableFile` with the reason for a truncated, corrupt or foreign file. A flipped bit in
  a data page is caught by the checksum, a truncated file by its missing footer.

No ``fsync``: the rename makes a file appear whole to every process, and a file damaged by a power
loss is caught by the checksums when read back, so the reader, not the writer, pays for that case.
"""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simcore.errors import RetentionBenchError

# the schema-metadata key under which write_parquet records its document
METADATA_KEY = "retention_bench"
# errors that mean "the device has no room" (no space, quota exceeded, file too large)
FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
TMP_SUFFIX = ".tmp"
# what temporary() names look like: .<name>.<pid>.<8 hex digits>.tmp
TEMPORARY = re.compile(r"\..+\.\d+\.[0-9a-f]{8}\.tmp")


class OutputError(RetentionBenchError):
    """An output could not be written (the message names the file and what to do)."""


class UnreadableFile(RetentionBenchError):
    """A file is not a complete, intact file of the expected kind (the message says why)."""


def full_disk(err: OSError) -> bool:
    """True for an OSError that says the device (or the user's quota) has no room left."""
    return err.errno in FULL or any(os.strerror(code) in str(err) for code in FULL)


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a full disk inside the block into ``OutputError("cannot write <path>: ...")``."""
    try:
        yield
    except OSError as err:
        if not full_disk(err):
            raise
        reason = os.strerror(err.errno if err.errno in FULL else errno.ENOSPC).lower()
        raise OutputError(f"cannot write {path}: {reason}; free space and rerun the same command") from None


def temporary(path: Path) -> Path:
    """A fresh temporary name next to ``path`` (same directory, so os.replace is a rename): hidden,
    unique per process and call, ending in ``.tmp``."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")


def remove(path: Path) -> None:
    """Remove a file or a directory tree if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_temporaries(directory: Path) -> None:
    """Remove the temporaries (names made by :func:`temporary`) a killed writer left in ``directory``,
    not below it. Only safe while no one else writes there (hold the directory's lock)."""
    for tmp in directory.glob(f".*{TMP_SUFFIX}"):
        if TEMPORARY.fullmatch(tmp.name):
            remove(tmp)


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Let ``write(tmp)`` create the file (or directory) ``tmp``, then move it to ``path`` in one
    rename. A directory replaces an existing ``path`` as a whole (the old one is renamed aside first,
    then removed). On any failure the temporary is removed and the error raised, a full disk as
    :class:`OutputError`; ``path`` is then either its old complete self or absent. Returns ``path``."""
    tmp = temporary(path)
    with writing(path):
        try:
            write(tmp)
            if tmp.is_dir() and path.is_dir():
                old = temporary(path)
                os.replace(path, old)
                os.replace(tmp, path)
                remove(old)
            else:
                os.replace(tmp, path)
        except BaseException:
            remove(tmp)
            raise
    return path


def write_text(path: Path, text: str) -> Path:
    """``text`` (UTF-8) into ``path``, atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` as CSV without its index, atomically."""
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_parquet(frame: pd.DataFrame, path: Path, metadata: Mapping[str, object] | None = None) -> Path:
    """``frame`` (without its index, as ``DataFrame.to_parquet`` writes it) into ``path``, atomically,
    with a CRC checksum per data page and ``metadata`` (JSON-able) under the schema-metadata key
    ``retention_bench``, for :func:`read_parquet_checked`."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata is not None:
        extra = {METADATA_KEY.encode(): json.dumps(dict(metadata), sort_keys=True).encode()}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp, write_page_checksum=True))


def read_parquet_checked(path: Path) -> tuple[pd.DataFrame, dict]:
    """The frame in ``path`` and the metadata document ``write_parquet`` recorded ({} if none), read
    with every page checksum verified. Raises :class:`UnreadableFile` ("truncated or not a parquet
    file", "corrupt: CRC checksum ...", ...) instead of a pyarrow traceback."""
    try:
        raw = (pq.read_schema(path).metadata or {}).get(METADATA_KEY.encode())
        frame = pd.read_parquet(path, page_checksum_verification=True)
    except (pa.ArrowException, OSError, ValueError) as err:
        text = " ".join(str(err).split())
        if "magic bytes" in text or "footer" in text or "size is 0" in text:
            text = f"truncated or not a parquet file ({text})"
        raise UnreadableFile(f"{path}: unreadable: {text}") from None
    if raw is None:
        return frame, {}
    try:
        document = json.loads(raw)
    except ValueError:
        raise UnreadableFile(f"{path}: its {METADATA_KEY} metadata is not JSON") from None
    if not isinstance(document, dict):
        raise UnreadableFile(f"{path}: its {METADATA_KEY} metadata is not a JSON object")
    return frame, document
