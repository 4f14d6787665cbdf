"""The documented record-level layout of the Scottish returns.

Modelled on the Children Looked After Statistics (CLAS) return linked to the
pupil census, attendance and exclusions, attainment and leaver destinations.
One CSV per table; dates ISO 8601 (YYYY-MM-DD); one header row.  The reader
also takes dd/mm/yyyy and SQL date-times, decided per column per file.

Years: the looked-after year runs 1 August to 31 July and is labelled by its
*end* (``2023`` = 1 Aug 2022 - 31 Jul 2023; the count date is 31 July).  The
school year runs August to June and is also labelled by its end.  The config
states each source's year label; the reader checks dates against it.

This module is the single source of truth for column names and code lists:
the simulator writes to it and the cleaner validates against it.
"""

from __future__ import annotations

from lac_outcomes.columns import Column, Table, policy_table

# The 32 local authorities (council areas) with their GSS codes.
LOCAL_AUTHORITIES: dict[str, str] = {
    "S12000005": "Clackmannanshire",
    "S12000006": "Dumfries and Galloway",
    "S12000008": "East Ayrshire",
    "S12000010": "East Lothian",
    "S12000011": "East Renfrewshire",
    "S12000013": "Na h-Eileanan Siar",
    "S12000014": "Falkirk",
    "S12000017": "Highland",
    "S12000018": "Inverclyde",
    "S12000019": "Midlothian",
    "S12000020": "Moray",
    "S12000021": "North Ayrshire",
    "S12000023": "Orkney Islands",
    "S12000026": "Scottish Borders",
    "S12000027": "Shetland Islands",
    "S12000028": "South Ayrshire",
    "S12000029": "South Lanarkshire",
    "S12000030": "Stirling",
    "S12000033": "Aberdeen City",
    "S12000034": "Aberdeenshire",
    "S12000035": "Argyll and Bute",
    "S12000036": "City of Edinburgh",
    "S12000038": "Renfrewshire",
    "S12000039": "West Dunbartonshire",
    "S12000040": "West Lothian",
    "S12000041": "Angus",
    "S12000042": "Dundee City",
    "S12000045": "East Dunbartonshire",
    "S12000047": "Fife",
    "S12000048": "Perth and Kinross",
    "S12000049": "Glasgow City",
    "S12000050": "North Lanarkshire",
}

# Placement categories as published in Children's Social Work Statistics.
PLACEMENT_TYPES: dict[str, str] = {
    "at_home_with_parents": "At home with parents",
    "with_friends_relatives": "With friends/relatives",
    "with_foster_carers_la": "With foster carers provided by the LA",
    "with_foster_carers_purchased": "With foster carers purchased by the LA",
    "with_prospective_adopters": "With prospective adopters",
    "other_community": "In other community",
    "la_home": "Local authority home",
    "voluntary_home": "Voluntary home",
    "residential_school": "Residential school",
    "secure": "Secure accommodation",
    "crisis_care": "Crisis care",
    "other_residential": "Other residential",
}

# Groupings used by the published placement shares.
PLACEMENT_GROUPS: dict[str, str] = {
    "at_home_with_parents": "at_home_with_parents",
    "with_friends_relatives": "with_friends_relatives",
    "with_foster_carers_la": "with_foster_carers",
    "with_foster_carers_purchased": "with_foster_carers",
    "with_prospective_adopters": "with_prospective_adopters",
    "other_community": "other_community",
    "la_home": "residential",
    "voluntary_home": "residential",
    "residential_school": "residential",
    "secure": "residential",
    "crisis_care": "residential",
    "other_residential": "residential",
}

# How the published tables name the groups.
PLACEMENT_GROUP_LABELS: dict[str, str] = {
    "at_home_with_parents": "At home with parents",
    "with_friends_relatives": "With friends/relatives",
    "with_foster_carers": "With foster carers",
    "with_prospective_adopters": "With prospective adopters",
    "other_community": "In other community",
    "residential": "Residential",
}

# Legal reason for being looked after.
LEGAL_REASONS: dict[str, str] = {
    "cso_home": "Compulsory supervision order, no condition of residence (looked after at home)",
    "cso_residence": "Compulsory supervision order with a condition of residence",
    "section_25": "Voluntary agreement (Children (Scotland) Act 1995 s.25)",
    "permanence_order": "Permanence order",
    "emergency": "Child protection or emergency order",
    "other": "Other legal reason",
}

# Why an episode (one placement under one legal reason) ended.
REASONS_ENDED: dict[str, str] = {
    "placement_change": "Moved to another placement while still looked after",
    "discharged_home": "Ceased to be looked after: home with parents",
    "moved_in_with_friends_relatives": (
        "Ceased to be looked after: with friends or relatives (incl. kinship care order)"
    ),
    "adopted": "Ceased to be looked after: adopted",
    "independent_living": "Ceased to be looked after: independent living / aftercare",
    "other": "Ceased to be looked after: other",
}
REASONS_LEAVING_CARE = [r for r in REASONS_ENDED if r != "placement_change"]

# Permanence-planning milestones, in the order the process expects them (real records are not always in order).
PERMANENCE_MILESTONES: dict[str, str] = {
    "plan_agreed": "Permanence plan agreed at a looked-after review",
    "panel_recommendation": "Permanence (adoption and permanence) panel recommendation",
    "agency_decision": "Agency decision maker's decision",
    "application_lodged": "Court application (petition) lodged",
    "order_granted": "Order granted",
}

# The kind of order sought (Adoption and Children (Scotland) Act 2007; kinship care order: Children and Young
# People (Scotland) Act 2014 s.72, a section 11 residence order to a kinship carer).
ORDER_TYPES: dict[str, str] = {
    "permanence_order": "Permanence order",
    "permanence_order_authority_to_adopt": "Permanence order with authority to adopt",
    "adoption_order": "Adoption order",
    "kinship_care_order": "Kinship care order",
}

# The aftercare return (CLAS, young people eligible for aftercare on 31 July: those who ceased to be looked
# after on or after their 16th birthday, eligible up to their 26th since Part 10 of the Children and Young
# People (Scotland) Act 2014). Economic activity and accommodation are asked of those receiving aftercare.
# Modelled on the categories of Children's Social Work Statistics' aftercare tables; the codes are ours.
ECONOMIC_ACTIVITY: dict[str, str] = {
    "higher_education": "Higher education",
    "further_education": "Further education",
    "employment": "Employment",
    "training": "Training or employability programme",
    "voluntary_work": "Voluntary work",
    "unemployed": "Unemployed",
    "economically_inactive": "Economically inactive (illness, disability, caring)",
    "not_known": "Not known",
}
# In education, employment or training (voluntary work is not, as in the published tables).
ECONOMIC_ACTIVITY_EET = ("higher_education", "further_education", "employment", "training")
# Accommodation on 31 July; ``True`` = suitable, ``False`` = unsuitable, ``None`` = not known.
AFTERCARE_ACCOMMODATION: dict[str, tuple[str, bool | None]] = {
    "home_with_parents": ("Home with parent(s)", True),
    "with_friends_relatives": ("With friends or relatives", True),
    "own_tenancy": ("Own tenancy", True),
    "supported_accommodation": ("Supported accommodation or semi-independent living", True),
    "former_carers": ("With former foster carers or in continuing care", True),
    "residential_unit": ("Residential unit", True),
    "homeless": ("Homeless (bed and breakfast, hostel, sofa surfing)", False),
    "custody": ("In custody", False),
    "other": ("Other", None),
    "not_known": ("Not known", None),
}

SEXES = {"M": "Male", "F": "Female"}
YES_NO = {"Y": "Yes", "N": "No"}

SCHOOL_STAGES = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "S1", "S2", "S3", "S4", "S5", "S6"]

# Highest SCQF level achieved at leaving school (0 = none at level 1 or above).
SCQF_LEVELS = list(range(0, 8))

# Follow-up (initial or nine-month) leaver destinations; positive as published.
DESTINATIONS: dict[str, bool] = {
    "higher_education": True,
    "further_education": True,
    "training": True,
    "employment": True,
    "voluntary_work": True,
    "personal_skills_development": True,
    "unemployed_seeking": False,
    "unemployed_not_seeking": False,
    "unknown": False,
}


def _codes(mapping) -> tuple:
    return tuple(mapping)


# A column that places the row (identifies or dates it, or says which authority it belongs to) is needed:
# a bad value there drops the row.  A bad value anywhere else is blanked and the row kept.
_ID = {"places_row": True}
_LA = {"codes": _codes(LOCAL_AUTHORITIES), "places_row": True}

TABLES: dict[str, Table] = {
    "children": Table(
        "children",
        (
            Column("child_id", "id", **_ID, description="Pseudonymous child identifier, stable across tables"),
            Column("la_code", "code", **_LA, description="Responsible local authority"),
            Column("sex", "code", codes=_codes(SEXES)),
            Column(
                "date_of_birth", "date", places_row=True, description="Not after the end of the last configured year"
            ),
            Column(
                "simd_quintile",
                "int",
                minimum=1,
                maximum=5,
                description="SIMD quintile of home postcode (1 = most deprived)",
            ),
            Column("disability", "code", codes=_codes(YES_NO)),
            Column("asn", "code", codes=_codes(YES_NO), description="Additional support needs recorded"),
        ),
        "One row per child ever looked after in the period.",
    ),
    "episodes": Table(
        "episodes",
        (
            Column("child_id", "id", **_ID, description="A child_id of children.csv"),
            Column("episode_start", "date", places_row=True),
            Column(
                "episode_end", "date", places_row=True, blankable=True, description="Blank while the episode is open"
            ),
            Column("legal_reason", "code", codes=_codes(LEGAL_REASONS)),
            Column("placement_type", "code", codes=_codes(PLACEMENT_TYPES)),
            Column("reason_ended", "code", codes=_codes(REASONS_ENDED), blankable=True, description="Blank while open"),
        ),
        "One row per episode: a period in one placement under one legal reason. "
        "Consecutive episodes of one child form a spell of being looked after.",
    ),
    "pupils": Table(
        "pupils",
        (
            Column(
                "pupil_id",
                "id",
                **_ID,
                description="child_id for looked-after children; a separate pseudonym otherwise",
            ),
            Column(
                "school_year",
                "int",
                places_row=True,
                minimum=2000,
                maximum=2100,
                description="School year, labelled by its end",
            ),
            Column("la_code", "code", **_LA),
            Column("stage", "code", codes=tuple(SCHOOL_STAGES)),
            Column("sex", "code", codes=_codes(SEXES)),
            Column("simd_quintile", "int", minimum=1, maximum=5),
            Column("asn", "code", codes=_codes(YES_NO)),
            Column(
                "looked_after", "code", codes=_codes(YES_NO), description="Looked after at any time in the school year"
            ),
            Column("sessions_possible", "int", minimum=0, maximum=420),
            Column("sessions_attended", "int", minimum=0, maximum=420),
            Column("exclusion_cases", "int", minimum=0, maximum=60),
        ),
        "One row per pupil per school year: every looked-after pupil, and a random "
        "sample of the pupils who are not looked after (the comparison population; "
        "all-pupil rates weight it by the number of pupils it stands for).",
    ),
    "leavers": Table(
        "leavers",
        (
            Column("pupil_id", "id", **_ID),
            Column(
                "leaver_year",
                "int",
                places_row=True,
                minimum=2000,
                maximum=2100,
                description="School year of leaving, labelled by its end",
            ),
            Column("la_code", "code", **_LA),
            Column("sex", "code", codes=_codes(SEXES)),
            Column("simd_quintile", "int", minimum=1, maximum=5),
            Column("asn", "code", codes=_codes(YES_NO)),
            Column(
                "looked_after",
                "code",
                codes=_codes(YES_NO),
                description="Looked after at any time in the year of leaving",
            ),
            Column("highest_scqf_level", "int", minimum=0, maximum=7),
            Column("destination", "code", codes=_codes(DESTINATIONS)),
        ),
        "One row per school leaver: every looked-after leaver and a random sample of the other leavers.",
    ),
    "permanence": Table(
        "permanence",
        (
            Column("child_id", "id", **_ID, description="A child_id of children.csv"),
            Column(
                "milestone",
                "code",
                codes=_codes(PERMANENCE_MILESTONES),
                places_row=True,
                description="Which step of permanence planning this row records",
            ),
            Column("milestone_date", "date", places_row=True, description="The day the step happened"),
            Column(
                "order_sought",
                "code",
                codes=_codes(ORDER_TYPES),
                blankable=True,
                description="The order the plan seeks (on the order_granted row: the order made)",
            ),
        ),
        "One row per child per permanence-planning milestone (a child who re-enters care and is planned for "
        "again has a second set). Milestones are recorded as they happen; records are not always in order.",
    ),
    "aftercare": Table(
        "aftercare",
        (
            Column("child_id", "id", **_ID, description="A child_id of children.csv"),
            Column(
                "year",
                "int",
                places_row=True,
                minimum=2000,
                maximum=2100,
                description="Looked-after year labelled by its end; eligibility is on 31 July of it",
            ),
            Column("la_code", "code", **_LA, description="Local authority responsible for the aftercare"),
            Column("receiving_aftercare", "code", codes=_codes(YES_NO)),
            Column(
                "economic_activity",
                "code",
                codes=_codes(ECONOMIC_ACTIVITY),
                blankable=True,
                description="Blank unless receiving aftercare",
            ),
            Column(
                "accommodation",
                "code",
                codes=_codes(AFTERCARE_ACCOMMODATION),
                blankable=True,
                description="Blank unless receiving aftercare",
            ),
            Column(
                "continuing_care",
                "code",
                codes=_codes(YES_NO),
                description="In continuing care (staying in the last placement past 18)",
            ),
        ),
        "One row per young person eligible for aftercare on 31 July of a year (ceased to be looked after on or "
        "after their 16th birthday and not yet 26), modelled on the CLAS aftercare return.",
    ),
}


def to_markdown() -> str:
    """The layout as a document for the people who prepare the returns (docs/scottish_layout.md)."""
    lines = [
        "# Scottish record-level layout",
        "",
        "Generated from `src/lac_outcomes/scotland/layout.py` (a test keeps the two in step).",
        "",
        "One UTF-8 CSV per table, comma-separated, one header row; dates `YYYY-MM-DD`;",
        "blank for a missing value. Looked-after years run 1 August to 31 July and school",
        "years August to June; both are labelled by the calendar year in which they end.",
        "",
        "Exports as they come: dates may also be `dd/mm/yyyy` or SQL date-times",
        "(`2019-05-01 00:00:00.000`), decided per column per file and said in the quality record;",
        "`NULL`, `N/A`, `NA` and whitespace-only cells are blank; codes and IDs compare",
        "case-insensitively (IDs are written in upper case); a trailing comma on every line is read past;",
        "an empty or header-only file is a table with no rows.",
        "",
        "**Quarantine policy.** A bad value in a column that places the row (its ID, its dates, its",
        "local authority) drops the row; a bad value anywhere else blanks that cell and keeps the row.",
        "Either way the quarantine log names the table, file, row, column, rule and action.",
        "Rows in = rows kept + rows dropped; blanked cells are counted in `quality.json`.",
        "",
    ]
    for table in TABLES.values():
        lines += [f"## `{table.name}.csv`", "", table.description, "", *policy_table(table), ""]
    lines += ["## Code meanings", ""]
    for title, mapping in [
        ("Local authorities", LOCAL_AUTHORITIES),
        ("Placement types", PLACEMENT_TYPES),
        ("Legal reasons", LEGAL_REASONS),
        ("Reasons an episode ended", REASONS_ENDED),
        ("Permanence milestones", PERMANENCE_MILESTONES),
        ("Orders sought", ORDER_TYPES),
        ("Economic activity (aftercare)", ECONOMIC_ACTIVITY),
    ]:
        lines += [f"### {title}", "", "| code | meaning |", "| --- | --- |"]
        lines += [f"| `{code}` | {meaning} |" for code, meaning in mapping.items()]
        lines.append("")
    lines += ["### Destinations", "", "| code | positive |", "| --- | --- |"]
    lines += [f"| `{code}` | {'yes' if positive else 'no'} |" for code, positive in DESTINATIONS.items()]
    lines += ["", "### Aftercare accommodation", "", "| code | meaning | suitable |", "| --- | --- | --- |"]
    suitable = {True: "yes", False: "no", None: "not known"}
    lines += [f"| `{c}` | {m} | {suitable[s]} |" for c, (m, s) in AFTERCARE_ACCOMMODATION.items()]
    return "\n".join(lines) + "\n"
