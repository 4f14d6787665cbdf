"""Every child identifier, date of birth, UPN and postcode of a run's raw inputs, looked for in every output.

:func:`identifiers_of` reads every row of the raw synthetic inputs (Scotland's
CSVs, England's SSDA903 CSVs for every authority and year), not a sample.
:func:`scan` looks for them in every file a run writes outside ``data/``
(``reports/``, ``results/``, ``logs/``, ``benchmarks/``; ``.snakemake/`` is
the workflow's own bookkeeping and is left out), text data URIs decoded:

* identifiers (child IDs, UPNs) anywhere inside a longer string: one regular
  expression per *shape* of identifier (``SC\\d{7}``, ``\\d{10}``,
  ``[A-Z]\\d{12}``) finds every candidate, overlapping ones included, and the
  candidates are intersected with the set of identifiers;
* postcodes as whole tokens, with and without their space;
* dates of birth in every way an output could write a date -- ``2011-07-28``
  (with or without a time), ``28/07/2011``, ``28-07-2011``, ``28.07.2011``,
  ``2011/07/28``, ``20110728``, ``28 July 2011``, ``July 28, 2011``, and epoch
  seconds, milliseconds or nanoseconds at midnight -- all read back to a date
  and intersected with the set of dates of birth.

Dates the run writes for its own reasons (the boundaries of the collection
years, the day it ran) are passed as ``allowed_dates``: at national scale
almost every day is somebody's birthday, so without them any date would be
reported.  Never imports ``lac_outcomes``.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

ID_COLUMNS = re.compile(r"^(child|child_id|pupil_id|CHILD|upn|UPN|former_upn|candidate_number|scn)$", re.IGNORECASE)
DATE_OF_BIRTH_COLUMNS = re.compile(r"^(dob|date_of_birth|mc_dob|birth_date|dob_.*)$", re.IGNORECASE)
POSTCODE_COLUMNS = re.compile(r"^(postcode|.*_post|post_code|home_postcode)$", re.IGNORECASE)
# SSDA903's codes for a missing UPN (UN1 to UN10) are codes, not identifiers.
PLACEHOLDER_IDS = re.compile(r"^UN\d{1,2}$")
SCANNED_FOLDERS = ("reports", "results", "logs", "benchmarks")
MONTHS = {
    m.lower(): i
    for i, m in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        1,
    )
}
MONTHS.update({name[:3]: i for name, i in list(MONTHS.items())})
MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))

DATE_PATTERNS = [
    (re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)"), "dmy"),
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), "ymd"),
    (
        re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH_NAMES})\.?,?\s+(\d{{4}})(?!\d)", re.IGNORECASE),
        "d_month_y",
    ),
    (
        re.compile(rf"\b({MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)", re.IGNORECASE),
        "month_d_y",
    ),
]
EPOCH = re.compile(r"(?<!\d)(\d{9,19})(?!\d)")
DATA_URI = re.compile(r"data:([\w/+.-]+)?((?:;[\w=-]+)*?)(;base64)?,([A-Za-z0-9+/=%._~-]+)")
EPOCH_DAY = dt.date(1970, 1, 1)


@dataclass
class Identifiers:
    ids: set[str] = field(default_factory=set)
    dates_of_birth: set[dt.date] = field(default_factory=set)
    postcodes: set[str] = field(default_factory=set)
    rows_read: int = 0
    files_read: int = 0


@dataclass
class Finding:
    output: str
    kind: str
    value: str

    def line(self) -> str:
        return f"{self.output}: {self.kind} {self.value}"


def _date(text: str) -> dt.date | None:
    text = text.strip()
    for pattern, order in DATE_PATTERNS[:3]:
        found = pattern.fullmatch(text[:10]) or pattern.fullmatch(text)
        if found:
            return _build(found.groups(), order)
    return None


def _build(groups, order) -> dt.date | None:
    try:
        if order == "ymd":
            y, m, d = (int(g) for g in groups)
        elif order == "dmy":
            d, m, y = (int(g) for g in groups)
        elif order == "d_month_y":
            d, m, y = int(groups[0]), MONTHS[groups[1].lower()[:3]], int(groups[2])
        else:
            m, d, y = MONTHS[groups[0].lower()[:3]], int(groups[1]), int(groups[2])
        return dt.date(y, m, d)
    except (ValueError, KeyError):
        return None


def raw_input_files(project: Path) -> list[Path]:
    root = Path(project) / "data" / "raw" / "synthetic"
    return sorted([*(root / "scotland").glob("*.csv"), *(root / "england").rglob("*.csv")])


def identifiers_of(project: Path) -> Identifiers:
    """Every identifier, date of birth and postcode in every row of the raw inputs."""
    found = Identifiers()
    for path in raw_input_files(project):
        found.files_read += 1
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            ids = [c for c in columns if ID_COLUMNS.match(c)]
            births = [c for c in columns if DATE_OF_BIRTH_COLUMNS.match(c)]
            posts = [c for c in columns if POSTCODE_COLUMNS.match(c)]
            for row in reader:
                found.rows_read += 1
                for c in ids:
                    value = (row.get(c) or "").strip().upper()
                    if value and not PLACEHOLDER_IDS.match(value):
                        found.ids.add(value)
                for c in births:
                    day = _date(row.get(c) or "")
                    if day:
                        found.dates_of_birth.add(day)
                for c in posts:
                    code = " ".join((row.get(c) or "").split()).upper()
                    if code and code not in {"XXXXXXX", "Z", "XX"}:
                        found.postcodes.add(code)
    return found


def _shape(identifier: str) -> str:
    return "".join(r"\d" if ch.isdigit() else "[A-Za-z]" if ch.isalpha() else re.escape(ch) for ch in identifier)


def output_files(project: Path) -> list[Path]:
    project = Path(project)
    files = []
    for folder in SCANNED_FOLDERS:
        root = project / folder
        if root.is_dir():
            files += [p for p in sorted(root.rglob("*")) if p.is_file() and ".snakemake" not in p.parts]
    return files


def readable_text(raw: bytes) -> str:
    """The text of an output, with text data URIs (CSV downloads, SVG figures) decoded and added."""
    text = raw.decode("utf-8", errors="replace")
    extra = []
    for found in DATA_URI.finditer(text):
        mime, is_base64, payload = (found.group(1) or "text/plain").lower(), found.group(3), found.group(4)
        if mime.startswith("image/") and "svg" not in mime:
            continue  # a raster image holds pixels; its alt text is scanned with the page
        try:
            decoded = (
                base64.b64decode(unquote(payload) + "===", validate=False) if is_base64 else unquote(payload).encode()
            )
        except ValueError:
            continue
        extra.append(decoded.decode("utf-8", errors="replace"))
    # images are left out of the text searched for dates and numbers: base64 is noise
    text = DATA_URI.sub(lambda m: "" if (m.group(1) or "").startswith("image/") else m.group(0), text)
    return "\n".join([text, *extra])


def dates_in(text: str) -> set[dt.date]:
    days = set()
    for pattern, order in DATE_PATTERNS:
        for found in pattern.finditer(text):
            day = _build(found.groups(), order)
            if day:
                days.add(day)
    for found in EPOCH.finditer(text):
        number = int(found.group(1))
        for unit in (86_400, 86_400_000, 86_400_000_000_000):
            if number % unit == 0:
                with contextlib.suppress(OverflowError):
                    days.add(EPOCH_DAY + dt.timedelta(days=number // unit))
    return days


def scan(
    project: Path, identifiers: Identifiers, allowed_dates: set[dt.date] = frozenset()
) -> tuple[list[Finding], list[str]]:
    """Findings (output, kind, value) and the outputs scanned."""
    project = Path(project)
    shapes = {}
    for identifier in identifiers.ids:
        shapes.setdefault(_shape(identifier), None)
    id_patterns = [re.compile(f"(?=({shape}))") for shape in shapes]
    postcode_forms = {}
    for code in identifiers.postcodes:
        postcode_forms[code] = code
        if len(code.replace(" ", "")) >= 5:
            postcode_forms[code.replace(" ", "")] = code
    postcode_pattern = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2}\d[A-Za-z\d]?(?:\s*\d[A-Za-z]{0,2})?)(?![A-Za-z0-9])")
    births = identifiers.dates_of_birth - set(allowed_dates)
    findings: list[Finding] = []
    scanned = []
    for path in output_files(project):
        output = str(path.relative_to(project))
        scanned.append(output)
        text = readable_text(path.read_bytes())
        upper = text.upper()
        seen_ids = set()
        for pattern in id_patterns:
            seen_ids |= {m.group(1) for m in pattern.finditer(upper)}
        findings += [Finding(output, "child identifier", v) for v in sorted(seen_ids & identifiers.ids)]
        codes = {" ".join(m.group(1).split()) for m in postcode_pattern.finditer(upper)}
        findings += [Finding(output, "postcode", postcode_forms[c]) for c in sorted(codes & postcode_forms.keys())]
        findings += [Finding(output, "date of birth", d.isoformat()) for d in sorted(dates_in(text) & births)]
    return findings, scanned


def collection_year_dates(scotland_years: range, england_years: range) -> set[dt.date]:
    """Boundaries of Scotland's looked-after and school years (1 Aug - 31 Jul) and England's (1 Apr - 31 Mar)."""
    days = set()
    for year in scotland_years:
        days |= {dt.date(year - 1, 8, 1), dt.date(year, 7, 31), dt.date(year, 6, 30)}
    for year in england_years:
        days |= {dt.date(year - 1, 4, 1), dt.date(year, 3, 31)}
    return days


def public_reference_dates(project: Path) -> set[dt.date]:
    """Dates written in the tracked published reference files (a source URL's /2011/05/26/): public, shown on purpose.

    A report that cites its source may show them; one that equals a child's date of birth is no finding.
    """
    folder = project / "data" / "raw" / "published"
    texts = [p.read_text(errors="replace") for p in folder.glob("*.csv")] if folder.is_dir() else []
    return set().union(*(dates_in(text) for text in texts))
