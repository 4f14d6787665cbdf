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


# A long list of records in a truth file is written as CSV text in a literal block under "<name>_csv": one
# YAML node for the list instead of one for every field of every record.  England's national truth.yaml
# (16,830 planted indicator values) then parses in about 0.25 s instead of 1.6 s of CPU, in each of the six
# reports that check against it.
TRUTH_TABLE_SUFFIX = "_csv"


def truth_yaml(truth: dict, tables: tuple[str, ...]) -> str:
    """``truth`` as YAML text, the lists of records named in ``tables`` as CSV blocks (see :func:`read_truth`)."""
    import io

    import pandas as pd
    import yaml

    class Block(str):
        """Text written as a YAML literal block (``|``), one line of the file per line of text."""

    class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter where PyYAML has it
        pass

    Dumper.add_representer(Block, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", str(text), "|"))
    written = {}
    for key, value in truth.items():
        if key in tables:
            buffer = io.StringIO()
            pd.DataFrame(value).to_csv(buffer, index=False, lineterminator="\n")
            written[key + TRUTH_TABLE_SUFFIX] = Block(buffer.getvalue())
        else:
            written[key] = value
    return yaml.dump(written, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


def read_truth(path) -> dict:
    """A truth file (:func:`read_yaml`) with each ``<name>_csv`` block read back as the list of records ``<name>``.

    A hand-written truth file with plain lists of records reads the same.  Numbers in a block come back
    as numbers (a column holding any decimal as floats), a blank cell as NaN.
    """
    import io

    import pandas as pd

    truth = read_yaml(path)
    if not isinstance(truth, dict):
        return truth
    out = {}
    for key, value in truth.items():
        if key.endswith(TRUTH_TABLE_SUFFIX) and isinstance(value, str):
            out[key.removesuffix(TRUTH_TABLE_SUFFIX)] = pd.read_csv(io.StringIO(value)).to_dict("records")
        else:
            out[key] = value
    return out
