"""Reading delimited return files as they come, with structural faults named.

Shared by every format: decoding (UTF-8 with or without a BOM), delimiter
detection, header normalisation, blank trailing lines, and line numbers for
each record so quarantine can point at the row a user sees in the file.
"""

from __future__ import annotations

import csv
import difflib
import io
from pathlib import Path

import pandas as pd

from lac_outcomes.validation import SOURCE_ROW, InputError

FIELD_COUNT_RULE = "field count differs from header"


def normalise_header(name: str) -> str:
    """Header names compare case-insensitively and ignore surrounding spaces and a BOM."""
    return name.replace("\ufeff", "").strip().lower()


def read_text(path: Path) -> str:
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    if path.is_dir():
        raise InputError(path, "expected a file, found a folder")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(path, "file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(
            path, f"not valid UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8 CSV", row=line
        ) from None


def read_records(path: Path, expected_columns: list[str], *, allow_extra: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a comma-separated file into strings, one column per expected column.

    Returns ``(records, ragged)``: ``records`` has the expected columns (values
    stripped, blanks as empty strings) and ``SOURCE_ROW``; ``ragged`` holds the
    line numbers of records whose field count differs from the header, which
    the caller quarantines.  Structural faults raise :class:`InputError`.
    """
    path = Path(path)
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(path, "file is empty") from None
    header_norm = [normalise_header(h) for h in header]
    expected_norm = [normalise_header(c) for c in expected_columns]

    if len(header) == 1 and len(expected_columns) > 1:
        for delimiter, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if delimiter in header[0]:
                raise InputError(path, f"wrong delimiter: the header is split by {name}s; expected a comma-separated file", row=1)
    missing = [c for c in expected_norm if c not in header_norm]
    extra = [h for h in header_norm if h not in expected_norm]
    if missing:
        hints = []
        for column in missing:
            close = difflib.get_close_matches(column, extra, n=1)
            hints.append(f"{column!r}" + (f" (found {close[0]!r}: misspelt?)" if close else ""))
        raise InputError(path, f"missing column(s) {', '.join(hints)}; expected columns: {', '.join(expected_norm)}", row=1, column=missing[0])
    if extra and not allow_extra:
        raise InputError(path, f"unexpected column(s) {', '.join(map(repr, extra))}; expected columns: {', '.join(expected_norm)}", row=1, column=extra[0])
    duplicated = sorted({h for h in header_norm if header_norm.count(h) > 1})
    if duplicated:
        raise InputError(path, f"column(s) named twice in the header: {', '.join(duplicated)}", row=1, column=duplicated[0])

    positions = [header_norm.index(c) for c in expected_norm]
    rows, lines, ragged = [], [], []
    width = len(header)
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue  # blank lines (typically trailing) are not records
        if len(fields) != width:
            ragged.append(line)
            continue
        rows.append([fields[p].strip() for p in positions])
        lines.append(line)
    records = pd.DataFrame(rows, columns=expected_columns, dtype="str") if rows else pd.DataFrame(
        {c: pd.Series(dtype="str") for c in expected_columns}
    )
    records[SOURCE_ROW] = pd.Series(lines, dtype="int64")
    # Columns read past with allow_extra, for the caller to report: nothing is dropped unsaid.
    records.attrs["ignored_columns"] = extra
    return records, pd.DataFrame({"row": pd.Series(ragged, dtype="int64")})


def parse_dates(values: pd.Series, fmt: str) -> pd.Series:
    """Parse dates strictly; anything unparseable or impossible (31/02) becomes NaT."""
    return pd.to_datetime(values.where(values != ""), format=fmt, errors="coerce")


def parse_integers(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values.where(values != ""), errors="coerce")
    whole = numbers.where(numbers.isna() | (numbers == numbers.round()))
    return whole.astype("Int64")
