"""The SSDA903 return (children looked after in England): tables, columns, code lists.

Written from the DfE SSDA903 CSV specifications for the collection years
2016-17 onwards.  A 903 *collection year* is named by the year in which it
ends: year 2019 runs 1 April 2018 to 31 March 2019.  The specification changed
in a few places, so each change is tied to the first collection year that uses
it (the latest schema year on or before the collection year applies):

* 2017: the base specification used here.
* 2019: special guardianship reasons ceased split into E45-E48 (replacing
  E43/E44); reason for placement change gains CUSTOD.
* 2022: care leavers' activity splits F3/P3 (other education) into F4/P4 and
  F5/P5.
* 2024: the SocialWorker table (changes of social worker) is added; it is
  optional because many exports predate it.

Columns use the shared specification (:class:`lac_outcomes.columns.Column`):
kinds ``id`` (the child, matched case-insensitively), ``str`` (free text such
as a URN), ``postcode`` (partial postcodes as the 903 holds them), ``date``
(dd/mm/yyyy documented; ISO and SQL date-times are read too), ``code`` (a value
from a code list), ``int`` (whole number within stated bounds).

Quarantine policy: a bad value in a column that identifies or dates the row
(CHILD; DOB; the date a row is about: DECOM and DEC of an episode, REVIEW,
MIS_START, DATE_INT, DATE_PLACED, SW_DECOM) drops the row; a bad value anywhere
else is blanked and the row kept.  DEC drops rather than blanks because a
blanked end would turn a closed episode into an open one.  A code valid only
in the adjacent specification year (e.g. REC E45-E48 or REASON_PLACE_CHANGE
CUSTOD one year early) is kept with a warning.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pandas as pd

from lac_outcomes.columns import Column, Table

DOCUMENTED_DATE = "dd/mm/yyyy"
SCHEMA_YEARS = (2017, 2019, 2022, 2024)

# Tables every return must contain, in the order the DfE loads them.
CORE_TABLES = (
    "Header",
    "Episodes",
    "UASC",
    "OC2",
    "OC3",
    "AD1",
    "PlacedAdoption",
    "PrevPerm",
    "Missing",
    "Reviews",
)
OPTIONAL_TABLES = ("SocialWorker",)


def _id(name: str) -> Column:
    return Column(name, "id", places_row=True)


def _text(name: str, *, blank: bool = False, kind: str = "str") -> Column:
    return Column(name, kind, blankable=blank)


def _date(name: str, *, blank: bool = False, year_bound: str | None = "not_after_end", places: bool = False) -> Column:
    return Column(name, "date", places_row=places, blankable=blank, year_bound=year_bound)


def _codes(name: str, codes, *, blank: bool = False, aliases: dict[str, str] | None = None) -> Column:
    return Column(name, "code", blankable=blank, codes=tuple(codes), aliases=aliases or {})


def _int(name: str, low: int, high: int, *, blank: bool = False) -> Column:
    return Column(name, "int", blankable=blank, minimum=low, maximum=high)


def _dob() -> Column:
    return _date("DOB", places=True)


YES_NO = ("0", "1")
SEX_CODES = ("1", "2")
SEX_ALIASES = {"MALE": "1", "FEMALE": "2"}
BOOLEAN_ALIASES = {"FALSE": "0", "TRUE": "1"}

ETHNICITY = {
    "WBRI": "White British",
    "WIRI": "White Irish",
    "WOTH": "Any other White background",
    "WIRT": "Traveller of Irish heritage",
    "WROM": "Gypsy/Roma",
    "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African",
    "MWAS": "White and Asian",
    "MOTH": "Any other Mixed background",
    "AIND": "Indian",
    "APKN": "Pakistani",
    "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Caribbean",
    "BAFR": "African",
    "BOTH": "Any other Black background",
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}

# Reason for new episode.
RNE = {
    "S": "Started to be looked after",
    "L": "Change of legal status only",
    "P": "Change of placement (carer) only",
    "T": "Change of placement only, same carer",
    "B": "Change of legal status and placement (carer) at the same time",
    "U": "Change of legal status and placement, same carer, at the same time",
}
# Episodes that begin a new placement (everything except a legal-status-only change).
RNE_NEW_PLACEMENT = ("S", "P", "T", "B", "U")

LEGAL_STATUS = {
    "C1": "Interim care order",
    "C2": "Full care order",
    "D1": "Freeing order granted",
    "E1": "Placement order granted",
    "V2": "Single period of accommodation under section 20",
    "V3": "Accommodated under an agreed series of short-term breaks (single placement)",
    "V4": "Accommodated under an agreed series of short-term breaks (multiple placements)",
    "L1": "Under police protection and in local authority accommodation",
    "L2": "Emergency protection order",
    "L3": "Child assessment order and in local authority accommodation",
    "J1": "Remanded to local authority accommodation or youth detention accommodation",
    "J2": "Placed in local authority accommodation under PACE",
    "J3": "Sentenced to a youth rehabilitation order with residence or intensive fostering",
}
SHORT_BREAK_LEGAL_STATUS = ("V3", "V4")

CATEGORY_OF_NEED = {
    "N1": "Abuse or neglect",
    "N2": "Child's disability",
    "N3": "Parental illness or disability",
    "N4": "Family in acute stress",
    "N5": "Family dysfunction",
    "N6": "Socially unacceptable behaviour",
    "N7": "Low income",
    "N8": "Absent parenting",
}

PLACEMENT_TYPE = {
    "A3": "Placed for adoption with consent, with current foster carer(s)",
    "A4": "Placed for adoption with consent, not with current foster carer(s)",
    "A5": "Placed for adoption with placement order, with current foster carer(s)",
    "A6": "Placed for adoption with placement order, not with current foster carer(s)",
    "H5": "Semi-independent living accommodation not subject to children's homes regulations",
    "K1": "Secure children's home",
    "K2": "Children's home",
    "P1": "Placed with own parent(s) or other person(s) with parental responsibility",
    "P2": "Independent living, e.g. flat or lodgings",
    "P3": "Residential employment",
    "R1": "Residential care home",
    "R2": "NHS or health trust or other establishment providing medical or nursing care",
    "R3": "Family centre or mother and baby unit",
    "R5": "Young offender institution or prison",
    "S1": "All residential schools, except where dual-registered as a school and children's home",
    "T0": "All types of temporary move",
    "T1": "Temporary periods in hospital",
    "T2": "Temporary absences of the child on holiday",
    "T3": "Temporary accommodation whilst normal foster carer(s) is/are on holiday",
    "T4": "Temporary accommodation of seven days or less",
    "U1": "Foster placement with relative or friend, long-term fostering",
    "U2": "Foster placement with relative or friend who is also an approved adopter (FFA / concurrent planning)",
    "U3": "Foster placement with relative or friend, not long-term or FFA",
    "U4": "Foster placement with other foster carer, long-term fostering",
    "U5": "Foster placement with other foster carer who is also an approved adopter (FFA / concurrent planning)",
    "U6": "Foster placement with other foster carer, not long-term or FFA",
    "Z1": "Other placements",
}
ADOPTION_PLACEMENTS = ("A3", "A4", "A5", "A6")
TEMPORARY_PLACEMENTS = ("T0", "T1", "T2", "T3", "T4")
# Placement types grouped by how often children move from them: the generator's planted move hazard and the
# stability report's model of the risk of a move use the same groups.
MOVE_GROUPS = {
    "foster_other": ("U4", "U5", "U6"),
    "foster_relative": ("U1", "U2", "U3"),
    "residential": ("K1", "K2", "R1", "R2", "R5", "S1"),
    "semi_independent_other": ("H5", "P2", "P3", "R3", "Z1"),
    "with_parents": ("P1",),
}

PLACEMENT_PROVIDER = ("PR0", "PR1", "PR2", "PR3", "PR4", "PR5")

_REASON_CEASED_COMMON = {
    "X1": "Episode ceases and a new episode begins on the same day",
    "E11": "Adopted: application for an adoption order unopposed",
    "E12": "Adopted: consent dispensed with by the court",
    "E2": "Died",
    "E3": "Care taken over by another local authority in the UK",
    "E4A": "Returned home to live with parent(s) or person(s) with parental responsibility, as part of care planning",
    "E4B": "Returned home to live with parent(s) or person(s) with parental responsibility, not part of care planning",
    "E13": "Left care to live with parent(s) or relative(s) with no parental responsibility",
    "E41": "Residence order or child arrangements order granted",
    "E5": "Moved into independent living arrangement with supportive accommodation",
    "E6": "Moved into independent living arrangement without formalised support",
    "E7": "Transferred to residential care funded by adult social care",
    "E9": "Sentenced to custody",
    "E14": "Accommodation on remand ended",
    "E15": "Age assessment determined child aged 18 or over",
    "E16": "Child moved abroad",
    "E17": "Aged 18 or over and remained with current carers (staying put)",
    "E8": "Period of being looked after ceased for any other reason",
}
_REASON_CEASED_SGO_2017 = {
    "E43": "Special guardianship order made to former foster carer(s)",
    "E44": "Special guardianship order made to carer(s) other than former foster carer(s)",
}
_REASON_CEASED_SGO_2019 = {
    "E45": "Special guardianship order made to former foster carer(s), who were relative(s) or friend(s)",
    "E46": "Special guardianship order made to former foster carer(s), other than relative(s) or friend(s)",
    "E47": "Special guardianship order made to carer(s), not former foster carer(s), who were relative(s) or friend(s)",
    "E48": (
        "Special guardianship order made to carer(s), not former foster carer(s), other than relative(s) or friend(s)"
    ),
}
ADOPTION_REASONS = ("E11", "E12")
SPECIAL_GUARDIANSHIP_REASONS = ("E43", "E44", "E45", "E46", "E47", "E48")
# X1 closes an episode inside a continuing period of care; every other reason ends the period.
CONTINUING_REASON = "X1"

_PLACE_CHANGE_2017 = ("CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ", "PLACE", "OTHER")

OC3_IN_TOUCH = ("YES", "NO", "DIED", "REFU", "NREQ", "RHOM")
_OC3_ACTIVITY_2017 = ("F1", "P1", "F2", "P2", "F3", "P3", "G4", "G5", "G6", "0")
_OC3_ACTIVITY_2022 = ("F1", "P1", "F2", "P2", "F4", "P4", "F5", "P5", "G4", "G5", "G6", "0")
# Accommodation: a letter for the type, 1 = suitable, 2 = not suitable; "0" = not known.
OC3_ACCOMMODATION = tuple(f"{letter}{n}" for letter in "BCDEGHKRSTUVWXYZ" for n in "12") + ("0",)
# Education, employment or training: F = full time, P = part time; G = NEET.
OC3_ACTIVITY_EET_PREFIXES = ("F", "P")

SDQ_REASONS = ("SDQ1", "SDQ2", "SDQ3", "SDQ4", "SDQ5")
REVIEW_PARTICIPATION = ("PN0", "PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7")
PREVIOUS_PERMANENCE = ("P1", "P2", "P3", "P4", "Z1")
MISSING_TYPE = ("M", "A")  # missing, away without authorisation
ADOPTER_SEX = ("M1", "F1", "MM", "FF", "MF")
ADOPTER_LEGAL_STATUS = ("L0", "L11", "L12", "L2", "L3", "L4")
PLACED_ADOPTION_CEASED = ("RD1", "RD2", "RD3", "RD4")
SOCIAL_WORKER_CHANGE = (
    "MANAGE",
    "FCONTA",
    "LEFTRL",
    "ORGRST",
    "TSPROC",
    "ABSENC",
    "CHCHAN",
    "PCCHAN",
    "SWDIED",
    "OTHERS",
)


def schema_year_for(collection_year: int) -> int:
    """The specification a collection year uses: the latest schema year on or before it (2017 before that)."""
    earlier = [y for y in SCHEMA_YEARS if y <= collection_year]
    return earlier[-1] if earlier else SCHEMA_YEARS[0]


def collection_year_bounds(collection_year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a 903 collection year: 1 April of the year before to 31 March."""
    return pd.Timestamp(collection_year - 1, 4, 1), pd.Timestamp(collection_year, 3, 31)


def reason_ceased_codes(schema_year: int) -> tuple[str, ...]:
    sgo = _REASON_CEASED_SGO_2019 if schema_year >= 2019 else _REASON_CEASED_SGO_2017
    codes = list(_REASON_CEASED_COMMON)
    # keep the DfE listing order: special guardianship follows E41
    at = codes.index("E41") + 1
    return tuple(codes[:at] + list(sgo) + codes[at:])


def _episodes(schema_year: int) -> Table:
    place_change = _PLACE_CHANGE_2017 + (("CUSTOD",) if schema_year >= 2019 else ())
    return Table(
        "Episodes",
        (
            _id("CHILD"),
            _date("DECOM", places=True),
            _codes("RNE", RNE),
            _codes("LS", LEGAL_STATUS),
            _codes("CIN", CATEGORY_OF_NEED),
            _codes("PLACE", PLACEMENT_TYPE),
            _codes("PLACE_PROVIDER", PLACEMENT_PROVIDER, blank=True),
            _date("DEC", blank=True, places=True),
            _codes("REC", reason_ceased_codes(schema_year), blank=True),
            _codes("REASON_PLACE_CHANGE", place_change, blank=True),
            _text("HOME_POST", blank=True, kind="postcode"),
            _text("PL_POST", blank=True, kind="postcode"),
            _text("URN", blank=True),
        ),
        date_order=(("DECOM", "DEC"),),
    )


@cache
def tables_for_year(collection_year: int) -> dict[str, Table]:
    """Every 903 table (core and optional) as specified for ``collection_year``.

    Each code column also carries the codes valid only in the specification of
    the year before or after (``adjacent_codes``): exporters adopt a new code
    list early or keep an old one late, and such a row is kept with a warning.
    """
    tables = _tables_for_schema(schema_year_for(collection_year))
    neighbours = [_tables_for_schema(schema_year_for(y)) for y in (collection_year - 1, collection_year + 1)]
    out = {}
    for name, table in tables.items():
        columns = []
        for column in table.columns:
            if column.codes:
                adjacent = []
                for other in neighbours:
                    if name in other:
                        adjacent += [c for c in other[name].column(column.name).codes if c not in column.codes]
                column = replace(column, adjacent_codes=tuple(dict.fromkeys(adjacent)))
            columns.append(column)
        out[name] = replace(table, columns=tuple(columns))
    return out


@cache
def _tables_for_schema(schema_year: int) -> dict[str, Table]:
    activity = _OC3_ACTIVITY_2022 if schema_year >= 2022 else _OC3_ACTIVITY_2017
    tables = [
        Table(
            "Header",
            (
                _id("CHILD"),
                _codes("SEX", SEX_CODES, aliases=SEX_ALIASES),
                _dob(),
                _codes("ETHNIC", ETHNICITY, aliases={v.upper(): k for k, v in ETHNICITY.items()}),
                _text("UPN"),
                _codes("MOTHER", YES_NO, blank=True),
                _date("MC_DOB", blank=True),
            ),
        ),
        _episodes(schema_year),
        Table(
            "UASC",
            (
                _id("CHILD"),
                _dob(),
                _codes("SEX", SEX_CODES, aliases=SEX_ALIASES),
                _date("DUC", blank=True, year_bound=None),
            ),
        ),
        Table(
            "OC2",
            (
                _id("CHILD"),
                _dob(),
                _int("SDQ_SCORE", 0, 40, blank=True),
                _codes("SDQ_REASON", SDQ_REASONS, blank=True),
                *(
                    _codes(name, YES_NO, blank=True)
                    for name in (
                        "CONVICTED",
                        "HEALTH_CHECK",
                        "IMMUNISATIONS",
                        "TEETH_CHECK",
                        "HEALTH_ASSESSMENT",
                        "SUBSTANCE_MISUSE",
                        "INTERVENTION_RECEIVED",
                        "INTERVENTION_OFFERED",
                    )
                ),
            ),
        ),
        Table(
            "OC3",
            (
                _id("CHILD"),
                _dob(),
                _codes("IN_TOUCH", OC3_IN_TOUCH),
                _codes("ACTIV", activity),
                _codes("ACCOM", OC3_ACCOMMODATION),
            ),
        ),
        Table(
            "AD1",
            (
                _id("CHILD"),
                _dob(),
                _date("DATE_INT", places=True),
                _date("DATE_MATCH"),
                _codes("FOSTER_CARE", YES_NO, aliases=BOOLEAN_ALIASES),
                _int("NB_ADOPTR", 1, 2),
                _codes("SEX_ADOPTR", ADOPTER_SEX),
                _codes("LS_ADOPTR", ADOPTER_LEGAL_STATUS),
            ),
            date_order=(("DATE_INT", "DATE_MATCH"),),
        ),
        Table(
            "PlacedAdoption",
            (
                _id("CHILD"),
                _dob(),
                _date("DATE_PLACED", places=True),
                _date("DATE_PLACED_CEASED", blank=True),
                _codes("REASON_PLACED_CEASED", PLACED_ADOPTION_CEASED, blank=True),
            ),
            date_order=(("DATE_PLACED", "DATE_PLACED_CEASED"),),
        ),
        Table(
            "PrevPerm",
            (
                _id("CHILD"),
                _dob(),
                _codes("PREV_PERM", PREVIOUS_PERMANENCE),
                _text("LA_PERM", blank=True),
                _date("DATE_PERM", blank=True),
            ),
        ),
        Table(
            "Missing",
            (
                _id("CHILD"),
                _dob(),
                _codes("MISSING", MISSING_TYPE),
                _date("MIS_START", places=True),
                _date("MIS_END", blank=True),
            ),
            date_order=(("MIS_START", "MIS_END"),),
        ),
        Table(
            "Reviews",
            (
                _id("CHILD"),
                _dob(),
                _date("REVIEW", year_bound="within", places=True),
                _codes("REVIEW_CODE", REVIEW_PARTICIPATION),
            ),
        ),
    ]
    if schema_year >= 2024:
        tables.append(
            Table(
                "SocialWorker",
                (
                    _id("CHILD"),
                    _dob(),
                    _text("SW_ID"),
                    _date("SW_DECOM", places=True),
                    _date("SW_DEC", blank=True),
                    _codes("SW_REASON", SOCIAL_WORKER_CHANGE, blank=True),
                ),
                date_order=(("SW_DECOM", "SW_DEC"),),
            )
        )
    return {t.name: t for t in tables}


def to_markdown() -> str:
    """The SSDA903 tables as this reader takes them, with the quarantine policy per column (docs/ssda903_layout.md)."""
    latest = max(SCHEMA_YEARS)
    lines = [
        "# SSDA903 tables as the reader takes them",
        "",
        "Generated from `src/lac_outcomes/england/layout.py` (a test keeps the two in step).",
        "",
        "One CSV per table per local authority and collection year (a folder per LA; the table is",
        "recognised from the file name or its header). A collection year runs 1 April to 31 March and is",
        "named by the year it ends. Only **Header** and **Episodes** are required, and must hold rows.",
        "A file with no rows (0 bytes, newlines only, or a header only) is a table with no rows. Another",
        "table that is absent (no file, or a file without even a header) lets the run go on: the run says",
        "so once per LA and year and lists it as absent (`LA, YEAR, table`), so that the indicators that",
        "need it can show `x` there rather than 0. A header-only file is a table with no rows that year.",
        "",
        "Exports as they come: dates `dd/mm/yyyy` as the DfE documents them, or `yyyy-mm-dd`, or SQL",
        "date-times (`2019-05-01 00:00:00.000`), decided per column per file and said in the quality record;",
        "`NULL`, `N/A`, `NA` and whitespace-only cells are blank; codes and child IDs compare",
        "case-insensitively (written in upper case); extra columns are read past with a warning;",
        "a trailing comma on every line, or on the data rows only, is read past and said.",
        "",
        "**Quarantine policy.** A bad value in a column that identifies or dates the row drops the row",
        "(*drop the row*); a bad value anywhere else blanks that cell and keeps the row (*blank the cell*).",
        "Either way the quarantine log names LA, year, table, file, row, column, rule and action.",
        "Rows in = rows kept + rows dropped; blanked cells are counted in `quality.json`. A code valid",
        "only in the adjacent specification year (e.g. REC E45-E48 or REASON_PLACE_CHANGE CUSTOD one year",
        "early) is kept, with a warning counted per rule. Episodes: REC on an open episode (no DEC) is",
        "blanked and the episode kept open; a closed episode with no REC is kept and counted; DEC drops",
        "rather than blanks because a blanked end would reopen a closed episode. A file that loses",
        "every row stops the run with the likely cause; an LA-year whose Header or Episodes lose more than",
        "`quarantine.flag_share` of their rows is flagged.",
        "",
        f"Columns and code lists as specified for the latest specification year here ({latest});",
        "specification changes: "
        + "; ".join(
            [
                "2019: REC E45-E48 replace E43/E44, REASON_PLACE_CHANGE gains CUSTOD",
                "2022: OC3 ACTIV F3/P3 split into F4/P4 and F5/P5",
                "2024: the SocialWorker table (optional)",
            ]
        )
        + ".",
        "",
    ]
    from lac_outcomes.columns import policy_table

    for name, table in tables_for_year(latest).items():
        required = "required" if name in ("Header", "Episodes") else "optional"
        lines += [f"## {name} ({required})", "", *policy_table(table), ""]
        if table.date_order:
            pairs = ", ".join(f"`{end}` not before `{start}`" for start, end in table.date_order)
            lines += [f"Date order: {pairs}.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------------------------
# The linked pupil table (issue 17): key stage results from the National Pupil Database matched to the 903.
# A separate block: the 903 tables above are the return; this table is the DfE's CLA-NPD match, one row per pupil
# per key stage result, documented in docs/england_pupil_layout.md (generated by pupils_markdown below).
# ---------------------------------------------------------------------------------------------------------------

PUPILS_FILE = "pupils.csv"
KEY_STAGES = {
    "KS2": "Key Stage 2 (end of primary school, Year 6, age 10 at 31 August)",
    "KS4": "Key Stage 4 (GCSEs, Year 11, age 15 at 31 August)",
}
# Special educational needs as the school census records them.
SEN_PROVISION = {
    "N": "No special educational need",
    "K": "SEN support",
    "E": "Education, health and care plan",
    "S": "Statement of SEN (until EHC plans replaced statements, 2014 to 2018)",
}
KS2_WRITING_TA = {
    "GDS": "Working at greater depth within the expected standard",
    "EXS": "Working at the expected standard",
    "WTS": "Working towards the expected standard",
    "PKF": "Pre-key stage: foundations for the expected standard",
    "BLW": "Below the standard of the pre-key stage",
}
# The last year each earlier-era measure was published and the first year of its successor (results years,
# named by the year the school year ends): KS2 levels until 2015, scaled scores from 2016 (no tests 2020, 2021);
# KS4 five A*-C GCSEs including English and maths until 2016, Attainment 8 from 2016, grade 4 or above in
# English and maths from 2017.
LAST_KS2_LEVEL_YEAR = 2015
LAST_KS4_5AC_YEAR = 2016
FIRST_ATT8_YEAR = 2016
FIRST_GRADE4_YEAR = 2017
NO_KS2_TESTS = (2020, 2021)


def _pupil_column(name, kind, description, *, places=False, blank=True, codes=(), low=None, high=None):
    return Column(
        name,
        kind,
        places_row=places,
        blankable=blank,
        codes=tuple(codes),
        minimum=low,
        maximum=high,
        description=description,
    )


PUPILS = Table(
    "pupils",
    (
        _pupil_column("PUPIL_ID", "id", "pseudonymous pupil ID (the NPD's, from the UPN)", places=True, blank=False),
        _pupil_column("LA_903", "str", "LA whose 903 return holds the child; blank for a pupil never looked after"),
        _pupil_column("CHILD", "str", "the 903 CHILD of the matched child; blank for a pupil never looked after"),
        _pupil_column("KEY_STAGE", "code", "key stage of the result", places=True, blank=False, codes=KEY_STAGES),
        _pupil_column(
            "RESULT_YEAR",
            "int",
            "school year of the result, named by the year it ends (2019 = 2018/19)",
            places=True,
            blank=False,
            low=2005,
            high=2035,
        ),
        _pupil_column("SCHOOL_LA", "str", "LA of the school (GSS code)"),
        _pupil_column("SEX", "code", "1 male, 2 female", codes=("1", "2")),
        _pupil_column("SEN", "code", "special educational needs provision", codes=SEN_PROVISION),
        _pupil_column("KS2_ENG_LEVEL", "int", "KS2 English level (until 2015; 4 = expected)", low=1, high=6),
        _pupil_column("KS2_MAT_LEVEL", "int", "KS2 maths level (until 2015; 4 = expected)", low=1, high=6),
        _pupil_column(
            "KS2_READ_SCALED", "int", "KS2 reading scaled score (from 2016; 100 = expected)", low=80, high=120
        ),
        _pupil_column("KS2_MAT_SCALED", "int", "KS2 maths scaled score (from 2016; 100 = expected)", low=80, high=120),
        _pupil_column("KS2_WRIT_TA", "code", "KS2 writing teacher assessment (from 2016)", codes=KS2_WRITING_TA),
        _pupil_column(
            "KS4_5AC_EM",
            "int",
            "KS4: 5+ GCSEs A*-C or equivalent including English and maths (until 2016)",
            low=0,
            high=1,
        ),
        _pupil_column("KS4_ATT8", "number", "KS4 Attainment 8 score (from 2016)", low=0, high=90),
        _pupil_column("KS4_EM_GRADE4", "int", "KS4: grade 4 or above in English and maths (from 2017)", low=0, high=1),
    ),
    description="One row per pupil per key stage result, matched to the 903 through the pupil ID.",
)


def pupils_markdown() -> str:
    """The linked pupil table as the reader takes it, with the quarantine policy per column."""
    from lac_outcomes.columns import policy_table

    lines = [
        "# England: the linked pupil table (903 matched to the National Pupil Database)",
        "",
        "Generated from `src/lac_outcomes/england/layout.py` (a test keeps the two in step).",
        "",
        f"One CSV, `{PUPILS_FILE}`, one row per pupil per key stage result (KS2 or KS4), as the DfE's match of",
        "the SSDA903 to the National Pupil Database gives it to researchers: the pupil ID is pseudonymous (the",
        "NPD's, from the UPN the 903 Header carries), and a pupil who was looked after carries the 903 key of the",
        "match (`LA_903` and `CHILD`). The file also holds a comparison sample of pupils never looked after",
        "(`CHILD` blank), drawn from the same schools and years.",
        "",
        "**Looked-after status** is not in the file: it comes from the 903, as the DfE defines it for these",
        "statistics -- looked after continuously for 12 months or more at 31 March of the school year of the",
        "result (`lac_outcomes.england.education.child_covariates`). Pupils matched to a child looked after for",
        "less than that are in neither group (counted in the report).",
        "",
        "**Two eras of measures.** KS2 levels (English, maths; NI 99 and NI 100: level 4 or above) until "
        f"{LAST_KS2_LEVEL_YEAR}; scaled scores (reading, maths; 100 = expected standard) and the writing teacher",
        "assessment from 2016 (no KS2 tests in 2020 and 2021). KS4 five or more GCSEs A*-C or equivalent",
        f"including English and maths (NI 101) until {LAST_KS4_5AC_YEAR}; Attainment 8 from {FIRST_ATT8_YEAR};",
        f"grade 4 or above in English and maths from {FIRST_GRADE4_YEAR}. A measure outside its era is blank.",
        "",
        "**Quarantine policy**, as for the returns: a bad pupil ID, key stage or result year drops the row",
        "(it cannot be placed); a bad value anywhere else blanks that cell and keeps the row. A matched 903",
        "key that the 903 returns do not hold is kept and counted (the pupil is then in neither group).",
        "",
        "## pupils",
        "",
        *policy_table(PUPILS),
        "",
    ]
    return "\n".join(lines)
