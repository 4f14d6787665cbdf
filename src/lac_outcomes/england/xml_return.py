"""The SSDA903 return in the DfE's XML submission format, read into the CSV exports' tables.

Local authorities submit the 903 to the DfE as one XML file per year (root
``EXPSSDA903``), one ``CHILD`` element per child:

.. code-block:: xml

    <EXPSSDA903>
      <CHILD>
        <HEADER>
          <CHILDID>..</CHILDID> <UPN/> <SEX/> <DOB/> <ETHNIC/> <UASC/> <DUC/> <MOTHER/> <MC_DOB/>
          <AREVIEW><REVIEW/><REVIEW_CODE/></AREVIEW>            (any number: Reviews)
          <AMISSING><MISSING/><MIS_START/><MIS_END/></AMISSING>  (any number: Missing)
          <OC2><SDQ_SCORE/><SDQ_REASON/><CONVICTED/>..</OC2>
          <IN_TOUCH/><ACTIV/><ACCOM/>                            (OC3, care leavers)
          <DATE_INT/><DATE_MATCH/><FOSTER_CARE/><NB_ADOPTR/><SEX_ADOPTR/><LS_ADOPTR/>   (AD1)
          <PERMANENCE><PREV_PERM/><LA_PERM/><DATE_PERM/></PERMANENCE>
          <AD_PLACED><DATE_PLACED/><DATE_PLACED_CEASED/><REASON_PLACED_CEASED/></AD_PLACED>
        </HEADER>
        <EPISODE><DECOM/><RNE/><LS/><CIN/><PL/><PL_POST/><HOME_POST/><URN/><PLACE_PROVIDER/>
                 <DEC/><REC/><REASON_PLACE_CHANGE/></EPISODE>     (any number: Episodes)
      </CHILD>
    </EXPSSDA903>

Element names are the CSV column names except ``CHILDID`` (CSV ``CHILD``)
and ``PL`` (CSV ``PLACE``).  A child's ``CHILD`` and ``DOB`` (and ``SEX`` for
UASC) are copied from its HEADER into each of its records, as the CSV
tables carry them.  A UASC record is made where ``UASC`` is 1 or ``DUC`` is
given, an OC3 record where any care-leaver element is given, an AD1 record
where any adoption element is given.  ``_source_row`` is the line of the
XML element the record comes from, so quarantine points at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import pandas as pd

from lac_outcomes.england.layout import CORE_TABLES, SCHEMA_YEARS, tables_for_year
from lac_outcomes.validation import SOURCE_ROW, InputError

RENAMED = {"CHILDID": "CHILD", "PL": "PLACE"}
# Repeating groups inside HEADER, and the table each becomes.
HEADER_GROUPS = {
    "AREVIEW": "Reviews",
    "AMISSING": "Missing",
    "OC2": "OC2",
    "PERMANENCE": "PrevPerm",
    "AD_PLACED": "PlacedAdoption",
}
OC3_FIELDS = ("IN_TOUCH", "ACTIV", "ACCOM")
AD1_FIELDS = ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")
# Every core table can come from the XML (SocialWorker has no element names we know of).
TABLES_FROM_XML = CORE_TABLES


@dataclass
class _Element:
    tag: str
    line: int
    children: list[_Element] = field(default_factory=list)
    text: str = ""

    def leaves(self) -> dict[str, tuple[str, int]]:
        """Text and line of each childless child element, by CSV column name."""
        return {RENAMED.get(c.tag, c.tag): (c.text.strip(), c.line) for c in self.children if not c.children}


def _parse(path: Path) -> _Element:
    """The document as a small tree with line numbers; malformed XML raises one InputError line."""
    if not path.is_file():
        raise InputError(path, "file not found")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(path, "file is empty")
    parser = expat.ParserCreate()
    root = _Element("", 0)
    stack = [root]

    def start(name, _attributes):
        element = _Element(name.rsplit(":", 1)[-1], parser.CurrentLineNumber)
        stack[-1].children.append(element)
        stack.append(element)

    def end(_name):
        stack.pop()

    def text(data):
        stack[-1].text += data

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise InputError(path, f"not well-formed XML: {expat.ErrorString(error.code)}", row=error.lineno) from None
    return root.children[0]


def _children_elements(root: _Element) -> list[_Element]:
    """Every CHILD element, wherever the submission nests them (not inside another CHILD)."""
    found, pending = [], [root]
    while pending:
        element = pending.pop(0)
        for child in element.children:
            (found if child.tag == "CHILD" else pending).append(child)
    return found


def xml_tables(path: Path, year: int | None = None) -> dict[str, pd.DataFrame]:
    """The tables of one XML return as string records in the CSV column names, with ``_source_row``.

    ``year`` picks the specification's columns (default: the latest).  Every
    table is returned, with no rows where the return holds none.  Values are
    stripped; an element absent or empty is ``""``.
    """
    path = Path(path)
    root = _parse(path)
    children = _children_elements(root)
    if not children and root.tag != "EXPSSDA903":
        raise InputError(
            path, f"not an SSDA903 XML return: the root element <{root.tag}> holds no CHILD elements", row=root.line
        )
    specification = tables_for_year(year if year is not None else SCHEMA_YEARS[-1])
    records: dict[str, list[dict]] = {name: [] for name in TABLES_FROM_XML}

    def add(table: str, line: int, *sources: dict[str, tuple[str, int]]) -> None:
        values = {}
        for source in sources:
            values.update({name: text for name, (text, _) in source.items()})
        records[table].append({**values, SOURCE_ROW: line})

    for child in children:
        header = next((e for e in child.children if e.tag == "HEADER"), None)
        if header is None:
            raise InputError(path, "CHILD element without a HEADER", row=child.line)
        fields = header.leaves()
        identity = {name: fields[name] for name in ("CHILD", "DOB", "SEX") if name in fields}
        add("Header", header.line, fields)
        if fields.get("UASC", ("", 0))[0] == "1" or fields.get("DUC", ("", 0))[0]:
            add("UASC", fields.get("UASC", fields.get("DUC"))[1], fields)
        for table, names in (("OC3", OC3_FIELDS), ("AD1", AD1_FIELDS)):
            given = [fields[name][1] for name in names if fields.get(name, ("", 0))[0]]
            if given:
                add(table, min(given), identity, {name: fields[name] for name in names if name in fields})
        for group in header.children:
            if group.tag in HEADER_GROUPS:
                add(HEADER_GROUPS[group.tag], group.line, identity, group.leaves())
        for episode in child.children:
            if episode.tag == "EPISODE":
                add("Episodes", episode.line, identity, episode.leaves())

    tables = {}
    for name, rows in records.items():
        columns = specification[name].column_names
        frame = (
            pd.DataFrame(rows, columns=[*columns, SOURCE_ROW]) if rows else pd.DataFrame(columns=[*columns, SOURCE_ROW])
        )
        frame[columns] = frame[columns].fillna("").astype("str")
        frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
        tables[name] = frame.reset_index(drop=True)
    return tables


def is_xml_return(path: Path) -> bool:
    """Whether a file is XML (by its first non-blank character), whatever its name says."""
    with open(path, "rb") as handle:
        start = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(b"<")
