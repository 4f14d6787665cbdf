"""The DfE's XML submission format: a return written by hand from the published element names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lac_outcomes.england.layout import tables_for_year
from lac_outcomes.england.xml_return import is_xml_return, xml_tables
from lac_outcomes.validation import SOURCE_ROW, InputError

RETURN = Path(__file__).parent / "fixtures" / "xml" / "SSDA903_2019_return.xml"


def line_of(text: str, nth: int = 1) -> int:
    """Line number (1-based) of the nth line of the fixture containing ``text``, counted independently."""
    hits = [number for number, line in enumerate(RETURN.read_text().splitlines(), start=1) if text in line]
    return hits[nth - 1]


def test_every_table_in_the_csv_column_names_with_the_line_of_each_record():
    tables = xml_tables(RETURN, 2019)
    for name, frame in tables.items():
        assert list(frame.columns) == [*tables_for_year(2019)[name].column_names, SOURCE_ROW], name
    sizes = {name: len(frame) for name, frame in tables.items()}
    assert sizes == {
        "Header": 3,
        "Episodes": 4,
        "UASC": 1,
        "OC2": 1,
        "OC3": 1,
        "AD1": 1,
        "PlacedAdoption": 1,
        "PrevPerm": 1,
        "Missing": 1,
        "Reviews": 2,
    }

    header = tables["Header"].set_index("CHILD")
    assert header.loc["K2", "DOB"] == "20/12/1998" and header.loc["K1", "MOTHER"] == ""
    assert header[SOURCE_ROW].tolist() == [line_of("<HEADER>", n) for n in (1, 2, 3)]

    episodes = tables["Episodes"]
    # PL is the CSV's PLACE; the child's identifier comes from its HEADER
    assert episodes[["CHILD", "DECOM", "PLACE", "DEC", "REC"]].values.tolist() == [
        ["K1", "01/06/2017", "U6", "01/09/2018", "X1"],
        ["K1", "01/09/2018", "U4", "", ""],
        ["K3", "01/01/2017", "U6", "01/06/2018", "X1"],
        ["K3", "01/06/2018", "A5", "01/12/2018", "E11"],
    ]
    assert episodes[SOURCE_ROW].tolist() == [line_of("<EPISODE>", n) for n in (1, 2, 3, 4)]

    reviews = tables["Reviews"]
    assert reviews[["CHILD", "DOB", "REVIEW"]].values.tolist() == [
        ["K1", "03/04/2009", "10/05/2018"],
        ["K1", "03/04/2009", "09/11/2018"],
    ]
    assert reviews[SOURCE_ROW].tolist() == [line_of("<AREVIEW>", 1), line_of("<AREVIEW>", 2)]
    assert tables["OC3"].iloc[0][["CHILD", "IN_TOUCH", "ACTIV", "ACCOM"]].tolist() == ["K2", "YES", "F2", "U1"]
    assert tables["UASC"].iloc[0][["CHILD", "SEX", "DUC"]].tolist() == ["K2", "2", "20/12/2016"]
    assert tables["AD1"].iloc[0][["CHILD", "DATE_INT", "NB_ADOPTR"]].tolist() == ["K3", "01/02/2018", "2"]
    assert tables["AD1"].iloc[0][SOURCE_ROW] == line_of("<DATE_INT>")
    assert tables["PlacedAdoption"].iloc[0][["CHILD", "DATE_PLACED", "DATE_PLACED_CEASED"]].tolist() == [
        "K3",
        "01/02/2018",
        "",
    ]
    assert tables["OC2"].iloc[0][["CHILD", "SDQ_SCORE", "SDQ_REASON"]].tolist() == ["K1", "14", ""]


def test_format_is_recognised_from_the_content(tmp_path):
    assert is_xml_return(RETURN)
    csv = tmp_path / "2019_episodes.xml"  # misnamed CSV
    csv.write_text("CHILD,DECOM\n1,01/01/2019\n")
    assert not is_xml_return(csv)


@pytest.mark.parametrize(
    "text, line",
    [
        ("<EXPSSDA903>\n<CHILD>\n<HEADER><CHILDID>1</CHILDID></HEADER>\n</EXPSSDA903>\n", 4),  # CHILD not closed
        ("<EXPSSDA903>\n<CHILD><HEADER><DOB>01/01/2010</DOB></HEADER></CHILD>\n<CHILD & >\n</EXPSSDA903>\n", 3),
    ],
)
def test_malformed_xml_is_one_line_naming_file_and_line(tmp_path, text, line):
    path = tmp_path / "SSDA903_2019.xml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        xml_tables(path, 2019)
    message = str(caught.value)
    assert (
        "\n" not in message and str(path) in message and f"row {line}" in message and "not well-formed XML" in message
    )


def test_an_xml_file_that_is_not_a_903_return_is_named(tmp_path):
    path = tmp_path / "other.xml"
    path.write_text("<catalogue><book/></catalogue>")
    with pytest.raises(InputError, match="not an SSDA903 XML return"):
        xml_tables(path)
    empty = tmp_path / "empty.xml"
    empty.write_text("<EXPSSDA903></EXPSSDA903>")
    assert all(frame.empty for frame in xml_tables(empty).values())


def _plain_xml_counts(path: Path) -> dict[str, int]:
    """Children looked after at 31 March 2019 and episodes started with RNE S, counted from the XML by hand."""
    import xml.etree.ElementTree as ElementTree
    from datetime import date

    def day(text):
        d, m, y = (int(part) for part in text.split("/"))
        return date(y, m, d)

    looked_after, started = set(), 0
    for child in ElementTree.parse(path).getroot().iter("CHILD"):
        child_id = child.find("HEADER/CHILDID").text
        for episode in child.iter("EPISODE"):
            begun, ended = day(episode.find("DECOM").text), (episode.find("DEC").text or "").strip()
            if episode.find("RNE").text == "S" and date(2018, 4, 1) <= begun <= date(2019, 3, 31):
                started += 1
            if begun <= date(2019, 3, 31) and (not ended or day(ended) > date(2019, 3, 31)):
                looked_after.add(child_id)
    return {"CLA_31MAR": len(looked_after), "STARTED": started}


def test_an_xml_return_in_an_la_folder_is_cleaned_like_its_csv_exports(tmp_path):
    from lac_outcomes.england import clean

    folder = tmp_path / "raw" / "E09000033"
    folder.mkdir(parents=True)
    shutil.copy(RETURN, folder / "SSDA903_2019_return.xml")
    result = clean.clean(tmp_path / "raw", years=[2019])
    values = result.indicators.set_index("indicator")
    plain = _plain_xml_counts(RETURN)
    assert {name: int(values.loc[name, "numerator"]) for name in plain} == plain
    episodes = RETURN.read_text().count("<EPISODE>")
    assert result.counts["Episodes"]["rows_in"] == result.counts["Episodes"]["rows_kept"] == episodes > 0
