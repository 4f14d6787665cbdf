"""File writing that never leaves a half-written output behind.

Every output is written to a temporary name in the same folder and renamed
into place, so a run killed mid-write leaves either the old file or nothing:
Snakemake (or a person) never takes a truncated parquet or HTML as done.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas and pyarrow load only where data is read or written
    import pandas as pd


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path, suffix: str | None = None):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = f".{path.name}.", suffix or ".tmp"
    # A run killed with SIGKILL cannot remove its temporary file: clear them on the next write.
    for stale in path.parent.glob(f"{prefix}*{suffix}"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
    tmp = Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:  # flush to disk before the rename makes it visible
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path, data) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_parquet(frame: pd.DataFrame, path) -> None:
    """Write parquet deterministically: same frame, same bytes.

    pandas' own metadata (which embeds the library version and index layout)
    is dropped, the index is not stored, and compression is fixed, so the
    file depends only on the data and its schema.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)
    with atomic_path(path, suffix=".parquet") as tmp:
        pq.write_table(table, tmp, compression="zstd", write_statistics=True, store_schema=False)


def read_parquet(path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a processed parquet file (all columns, or ``columns``), saying which file when it is unreadable."""
    import pandas as pd
    import pyarrow as pa

    from lac_outcomes.errors import InputError

    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found; run the pipeline (make run) to build it")
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty (0 bytes), probably left by an interrupted run; delete it and rerun")
    try:
        return pd.read_parquet(path, columns=columns)
    except (OSError, pa.ArrowException) as error:
        raise InputError(path, f"not a readable parquet file ({error}); delete it and rerun") from None


def sha256_file(path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def read_yaml(path):
    """A YAML file (a generator's truth.yaml, say) parsed safely, with libyaml's C parser when PyYAML has it.

    The same documents as ``yaml.safe_load``, about four times faster: England's
    national truth.yaml (2 MB of planted values) took 10 s in pure Python in each
    report that checks against it (issue 13).
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 (a safe loader)
