"""Reading delimited return files as they come, with structural faults named.

Shared by every format: decoding (UTF-8 with or without a BOM), delimiter
detection, header normalisation, blank trailing lines, a trailing comma on
every line (or on the data rows only), the words exporters write for a blank
(``NULL``, ``N/A``, ``NA``), and line numbers for each record so quarantine can
point at the row a user sees in the file.  A 0-byte, newline-only or
header-only file is a table with no rows.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from lac_outcomes.validation import SOURCE_ROW, InputError

FIELD_COUNT_RULE = "field count differs from header"
# What exporters write for a missing value (SQL NULL, Excel's N/A); compared after upper-casing.
BLANK_WORDS = ("NULL", "N/A", "NA")
# Every upper/lower-case spelling of them, so one hash lookup per cell finds them (no upper-casing of every cell).
_BLANK_SPELLINGS = {
    "".join(c.upper() if (mask >> i) & 1 else c.lower() for i, c in enumerate(word))
    for word in BLANK_WORDS
    for mask in range(2 ** len(word))
}


# What Python's str.strip() takes off an ASCII value, so the plain-file parse strips exactly as read_rows does.
_ASCII_WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


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
        return ""  # a 0-byte or newline-only file: a table with no rows
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(
            path, f"not valid UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8 CSV", row=line
        ) from None


@dataclass
class Rows:
    """A delimited file's records as plain lists: the parse, before any frame is built.

    ``rows`` hold the expected columns' values (stripped; blank words as ""),
    ``lines`` each record's line number, ``ragged`` the line numbers of records
    whose field count differs from the header; ``extra`` the header names read
    past; ``notes`` what the reader had to say; ``no_header``: 0 bytes or newlines only.
    """

    columns: list[str]
    rows: list[list[str]]
    lines: list[int]
    ragged: list[int]
    extra: list[str]
    notes: list[str]
    no_header: bool = False

    def records(self) -> pd.DataFrame:
        """The rows as a frame of strings with ``SOURCE_ROW``, and the reader's findings in ``attrs``."""
        if not self.rows:
            records, _ = _no_records(self.columns, self.notes, self.ragged, self.extra)
            if self.no_header:
                records.attrs["no_header"] = True
            return records
        records = pd.DataFrame(self.rows, columns=self.columns, dtype="str")
        records[SOURCE_ROW] = pd.Series(self.lines, dtype="int64")
        # Columns read past with allow_extra, for the caller to report: nothing is dropped unsaid.
        records.attrs["ignored_columns"] = self.extra
        records.attrs["notes"] = self.notes
        return records

    def ragged_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"row": pd.Series(self.ragged, dtype="int64")})


def read_records(
    path: Path, expected_columns: list[str], *, allow_extra: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a comma-separated file into strings, one column per expected column.

    Returns ``(records, ragged)``: ``records`` has the expected columns (values
    stripped, blanks as empty strings) and ``SOURCE_ROW``; ``ragged`` holds the
    line numbers of records whose field count differs from the header, which
    the caller quarantines.  Structural faults raise :class:`InputError`.
    """
    parsed = read_rows(path, expected_columns, allow_extra=allow_extra)
    return parsed.records(), parsed.ragged_frame()


def read_rows(path: Path, expected_columns: list[str], *, allow_extra: bool = False) -> Rows:
    """Parse a comma-separated file as :func:`read_records` does, into plain lists (no frame per file)."""
    path = Path(path)
    text = read_text(path)
    notes: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:  # 0 bytes or newlines only: not even a header
        return Rows(list(expected_columns), [], [], [], [], notes, no_header=True)
    # A trailing comma on every line gives the header an empty last name: not a column.
    header_trailing = 0
    while len(header) > 1 and header[-1].strip() == "":
        header = header[:-1]
        header_trailing += 1
    header_norm = [normalise_header(h) for h in header]
    expected_norm = [normalise_header(c) for c in expected_columns]

    if len(header) == 1 and len(expected_columns) > 1:
        for delimiter, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if delimiter in header[0]:
                raise InputError(
                    path, f"wrong delimiter: the header is split by {name}s; expected a comma-separated file", row=1
                )
    missing = [c for c in expected_norm if c not in header_norm]
    extra = [h for h in header_norm if h not in expected_norm]
    if missing:
        hints = []
        for column in missing:
            close = difflib.get_close_matches(column, extra, n=1)
            hints.append(f"{column!r}" + (f" (found {close[0]!r}: misspelt?)" if close else ""))
        raise InputError(
            path,
            f"missing column(s) {', '.join(hints)}; expected columns: {', '.join(expected_norm)}",
            row=1,
            column=missing[0],
        )
    if extra and not allow_extra:
        hint = " (an empty name: a stray comma in the header?)" if "" in extra else ""
        raise InputError(
            path,
            f"unexpected column(s) {', '.join(map(repr, extra))}{hint}; expected columns: {', '.join(expected_norm)}",
            row=1,
            column=extra[0],
        )
    duplicated = sorted({h for h in header_norm if header_norm.count(h) > 1})
    if duplicated:
        raise InputError(
            path, f"column(s) named twice in the header: {', '.join(duplicated)}", row=1, column=duplicated[0]
        )

    positions = [header_norm.index(c) for c in expected_norm]
    rows, lines, ragged = [], [], []
    width = len(header)
    trailing_rows = 0
    for fields in reader:
        line = reader.line_num
        if len(fields) != width:
            if not any(f.strip() for f in fields):
                continue  # blank lines (typically trailing) are not records
            if len(fields) > width and not any(f.strip() for f in fields[width:]):
                trailing_rows += 1  # a trailing comma: empty fields past the header's last column
            else:
                ragged.append(line)
                continue
        elif not any(f.strip() for f in fields):
            continue
        # What exporters write for a blank (NULL, N/A) is blank: one set lookup per cell.
        values = [fields[p].strip() for p in positions]
        rows.append([("" if v in _BLANK_SPELLINGS else v) for v in values])
        lines.append(line)
    if header_trailing:
        notes.append("a trailing comma ends every line, the header included; the empty last column is not read")
    elif trailing_rows:
        notes.append(
            f"a trailing comma ends {trailing_rows} data row(s) (not the header); the empty last field is not read"
        )
    return Rows(list(expected_columns), rows, lines, ragged, extra, notes)


def _no_records(expected_columns, notes, ragged, extra=()) -> tuple[pd.DataFrame, pd.DataFrame]:
    records = pd.DataFrame({c: pd.Series(dtype="str") for c in expected_columns})
    records[SOURCE_ROW] = pd.Series(dtype="int64")
    records.attrs["ignored_columns"] = list(extra)
    records.attrs["notes"] = notes
    return records, pd.DataFrame({"row": pd.Series(ragged, dtype="int64")})


def no_records(expected_columns) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A table with no rows, as :func:`read_records` returns it for a header-only file (for an optional table)."""
    return _no_records(expected_columns, [], [])


# --------------------------------------------------------------------------- many plain files at once


@dataclass(frozen=True)
class PlainCsv:
    """A file simple enough to parse together with others of the same header, with no per-line Python.

    ASCII, no quotes, carriage returns, NUL bytes or blank lines, a header naming exactly the
    expected columns (any order, case or spacing) and at least one line under it.  Its records are
    then its lines, so line numbers follow from positions.  ``header`` is its first line, ``body``
    the rest (ending in a newline), ``n_rows`` the lines of the body.
    """

    header: bytes
    body: bytes
    n_rows: int


def plain_csv(path: Path, expected_columns: list[str]) -> PlainCsv | None:
    """The file as a :class:`PlainCsv`, or None when it needs :func:`read_rows` (which also names any fault)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None  # read_rows says what is wrong with the path
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if not data.isascii() or b'"' in data or b"\r" in data or b"\x00" in data:
        return None
    if not data.endswith(b"\n"):
        data += b"\n"
    header, _, body = data.partition(b"\n")
    if not body or b"\n\n" in data:
        return None
    names = sorted(normalise_header(h) for h in header.decode("ascii").split(","))
    if names != sorted(normalise_header(c) for c in expected_columns):
        return None  # extra, missing, repeated or empty names: read_rows reads past them or stops, saying so
    return PlainCsv(header, body, body.count(b"\n"))


def parse_plain(files: list[PlainCsv], expected_columns: list[str]) -> pd.DataFrame | None:
    """The records of plain files with one header, stacked in order, as :func:`read_rows` gives them.

    One parse of the files' bodies joined (pyarrow's CSV reader): strings stripped, blank
    words as "", ``SOURCE_ROW`` the line in each file.  None when a line is not a record
    of the header's width, or is blank in every field: read_rows then reads each file,
    which quarantines or skips that line and says so.
    """
    names = [normalise_header(h) for h in files[0].header.decode("ascii").split(",")]
    wanted = [normalise_header(c) for c in expected_columns]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(b"".join(f.body for f in files)),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                include_columns=wanted,
            ),
        )
    except pa.ArrowInvalid:
        return None
    columns = [pc.utf8_trim(table.column(name), characters=_ASCII_WHITESPACE) for name in wanted]
    blank = np.logical_and.reduce([pc.equal(c, "").to_numpy(zero_copy_only=False) for c in columns])
    if blank.any():
        return None
    blank_words = pa.array(sorted(_BLANK_SPELLINGS))
    columns = [pc.if_else(pc.is_in(c, value_set=blank_words), "", c) for c in columns]
    records = pa.table(columns, names=list(expected_columns)).to_pandas()
    records[SOURCE_ROW] = np.concatenate([np.arange(2, f.n_rows + 2, dtype="int64") for f in files])
    return records
