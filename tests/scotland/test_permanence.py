"""Permanence milestones and durations (Scotland) on hand-made histories, and the new table's bad input."""

import numpy as np
import pandas as pd
import pytest

from lac_outcomes.columns import RULE_CODE, RULE_DATE
from lac_outcomes.disclosure import DisclosurePolicy
from lac_outcomes.scotland import clean, permanence
from tests.scotland.conftest import SMALL_YEARS
from tests.scotland.test_clean import quarantined, run

PERIOD_START = pd.Timestamp("2018-08-01")
CENSOR = pd.Timestamp("2020-07-31")
SMALL_START, SMALL_END = pd.Timestamp(SMALL_YEARS[0] - 1, 8, 1), pd.Timestamp(SMALL_YEARS[-1], 7, 31)


@pytest.fixture(scope="module")
def small_scotland(small_run):
    return clean.clean(small_run["dir"], years=SMALL_YEARS).tables


def episodes(*rows):
    return pd.DataFrame(
        [
            {
                "child_id": c,
                "episode_start": pd.Timestamp(s),
                "episode_end": pd.Timestamp(e) if e else pd.NaT,
                "legal_reason": "cso_residence",
                "placement_type": "with_foster_carers_la",
                "reason_ended": r,
            }
            for c, s, e, r in rows
        ]
    )


def milestones(*rows):
    return pd.DataFrame(
        [{"child_id": c, "milestone": m, "milestone_date": pd.Timestamp(d), "order_sought": o} for c, m, d, o in rows]
    )


def test_a_child_re_entering_care_has_each_spells_milestones_in_that_spell():
    eps = episodes(
        ("A", "2018-09-01", "2019-01-01", "discharged_home"),
        ("A", "2019-03-01", "", None),  # re-enters after a gap: a second spell
    )
    rows = milestones(
        ("A", "plan_agreed", "2018-12-01", "permanence_order"),  # first spell: plan, then the child went home
        ("A", "plan_agreed", "2019-06-01", "adoption_order"),
        ("A", "panel_recommendation", "2019-08-01", "adoption_order"),
    )
    spells = permanence.planning_spells(eps, rows, CENSOR)
    assert list(spells["spell_number"]) == [1, 2]
    assert list(spells["plan_agreed"]) == [pd.Timestamp("2018-12-01"), pd.Timestamp("2019-06-01")]
    assert spells["panel_recommendation"].isna().tolist() == [True, False]
    assert list(spells["order_sought"]) == ["permanence_order", "adoption_order"]
    # The first plan's panel stage ended with the spell (no panel); the second is still waiting at the censor date.
    panel = permanence.stage_data(spells, "panel_recommendation", PERIOD_START, CENSOR)
    assert panel["event"].tolist() == [0, 1]
    assert panel["time"].tolist() == pytest.approx([31 / 365.25, 61 / 365.25])
    assert panel["days"].iloc[1] == 61


def test_a_spell_open_when_the_data_begin_enters_at_the_period_start():
    eps = episodes(("B", "2016-08-01", "", None))
    rows = milestones(
        ("B", "plan_agreed", "2017-02-01", "permanence_order"),
        ("B", "panel_recommendation", "2018-10-01", "permanence_order"),
        ("B", "agency_decision", "2018-10-10", "permanence_order"),
        ("B", "application_lodged", "2019-04-01", "permanence_order"),
        ("B", "order_granted", "2019-12-02", "permanence_order"),
    )
    spells = permanence.planning_spells(eps, rows, CENSOR)
    outcome = permanence.permanence_data(spells, PERIOD_START, CENSOR)
    assert outcome["cause"].tolist() == ["permanence_order"]
    assert outcome["entry"].iloc[0] == pytest.approx((PERIOD_START - pd.Timestamp("2016-08-01")).days / 365.25)
    assert outcome["time"].iloc[0] == pytest.approx(
        (pd.Timestamp("2019-12-02") - pd.Timestamp("2016-08-01")).days / 365.25
    )
    # The plan was agreed before the period: that stage is done before the data begin, so it is not at risk.
    assert permanence.stage_data(spells, "plan_agreed", PERIOD_START, CENSOR).empty
    # The panel stage began before the period and ended in it: delayed entry.
    panel = permanence.stage_data(spells, "panel_recommendation", PERIOD_START, CENSOR)
    assert panel["days"].tolist() == [(pd.Timestamp("2018-10-01") - pd.Timestamp("2017-02-01")).days]
    assert panel["entry"].iloc[0] == pytest.approx((PERIOD_START - pd.Timestamp("2017-02-01")).days / 365.25)
    decision = permanence.stage_data(spells, "agency_decision", PERIOD_START, CENSOR)
    assert decision["days"].tolist() == [9] and decision["entry"].tolist() == [0.0]


def test_an_order_granted_after_the_period_ends_is_not_an_order_in_the_period():
    eps = episodes(("C", "2019-01-01", "", None))
    rows = milestones(
        ("C", "plan_agreed", "2019-03-01", "kinship_care_order"),
        ("C", "panel_recommendation", "2019-05-01", "kinship_care_order"),
        ("C", "agency_decision", "2019-05-10", "kinship_care_order"),
        ("C", "application_lodged", "2020-01-06", "kinship_care_order"),
        ("C", "order_granted", "2020-09-01", "kinship_care_order"),
    )
    spells = permanence.planning_spells(eps, rows, CENSOR)
    assert spells["order_granted"].isna().all() and spells.attrs["after_censor"] == 1
    outcome = permanence.permanence_data(spells, PERIOD_START, CENSOR)
    assert outcome["cause"].tolist() == ["censored"] and outcome["event"].tolist() == [0]
    assert outcome["time"].iloc[0] == pytest.approx((CENSOR - pd.Timestamp("2019-01-01")).days / 365.25)
    court = permanence.stage_data(spells, "order_granted", PERIOD_START, CENSOR)
    assert court["event"].tolist() == [0]
    assert court["time"].iloc[0] == pytest.approx((CENSOR - pd.Timestamp("2020-01-06")).days / 365.25)


def test_milestones_out_of_order_set_aside_the_two_stages_that_use_the_date():
    eps = episodes(("D", "2018-09-01", "2020-06-30", "adopted"))
    rows = milestones(
        ("D", "plan_agreed", "2019-01-15", "adoption_order"),
        ("D", "panel_recommendation", "2018-12-20", "adoption_order"),  # keyed before the plan
        ("D", "agency_decision", "2019-04-01", "adoption_order"),
        ("D", "application_lodged", "2019-08-01", "adoption_order"),
        ("D", "order_granted", "2020-06-30", "adoption_order"),  # granted the day the spell ends: in the spell
    )
    spells = permanence.planning_spells(eps, rows, CENSOR)
    flags = [bool(spells[f"out_of_order_{m}"].iloc[0]) for m in permanence.MILESTONES]
    assert flags == [False, True, False, False, False]
    assert permanence.stage_data(spells, "panel_recommendation", PERIOD_START, CENSOR).empty
    assert permanence.stage_data(spells, "agency_decision", PERIOD_START, CENSOR).empty
    assert permanence.stage_data(spells, "plan_agreed", PERIOD_START, CENSOR)["days"].tolist() == [136]
    assert permanence.stage_data(spells, "application_lodged", PERIOD_START, CENSOR)["days"].tolist() == [122]
    outcome = permanence.permanence_data(spells, PERIOD_START, CENSOR)
    assert outcome["cause"].tolist() == ["adoption_order"]


def test_leaving_care_without_an_order_competes_and_a_milestone_in_no_spell_is_counted():
    eps = episodes(("E", "2019-01-01", "2019-09-01", "discharged_home"))
    rows = milestones(
        ("E", "plan_agreed", "2019-04-01", "permanence_order"),
        ("E", "panel_recommendation", "2019-11-01", "permanence_order"),  # after the child left care
    )
    spells = permanence.planning_spells(eps, rows, CENSOR)
    assert spells.attrs["unattached"] == 1 and spells["panel_recommendation"].isna().all()
    outcome = permanence.permanence_data(spells, PERIOD_START, CENSOR)
    assert outcome["cause"].tolist() == [permanence.LEFT_CARE]
    assert outcome["time"].iloc[0] == pytest.approx(243 / 365.25)


def test_a_spell_ended_before_the_period_is_not_used():
    eps = episodes(("F", "2015-01-01", "2017-01-01", "adopted"))
    rows = milestones(("F", "order_granted", "2016-12-01", "adoption_order"))
    spells = permanence.planning_spells(eps, rows, CENSOR)
    assert permanence.permanence_data(spells, PERIOD_START, CENSOR).empty


def test_stage_durations_match_a_plain_count_on_the_synthetic_table(small_scotland):
    """Each reached stage's days equal the difference of its two dates counted directly from the CSV."""
    tables = small_scotland
    spells = permanence.planning_spells(tables["episodes"], tables["permanence"], SMALL_END)
    raw = tables["permanence"].pivot_table(
        index="child_id", columns="milestone", values="milestone_date", aggfunc="min"
    )
    single = spells.groupby("child_id").filter(lambda g: len(g) == 1)
    data = permanence.stage_data(single, "application_lodged", SMALL_START, SMALL_END)
    data = data[data["event"] == 1]
    assert len(data) > 10
    expected = (raw["application_lodged"] - raw["agency_decision"]).dt.days.reindex(data["child_id"]).to_numpy()
    assert np.array_equal(data["days"].to_numpy(), expected)


def test_report_builds_with_every_count_through_the_policy(small_scotland):
    report = permanence.build(
        small_scotland,
        DisclosurePolicy(5),
        first_year=SMALL_YEARS[0],
        last_year=SMALL_YEARS[-1],
        guidance_days={"agency_decision": 14},
    )
    counts = report.tables["counts"]
    shown = counts.display["count"]
    assert all(v == "c" or int(v.replace(",", "")) >= 5 or v == "0" for v in shown)
    assert {"counts", "stages", "incidence"} <= set(report.tables)


# --------------------------------------------------------------------------
# bad input in permanence.csv, as councils export it
# --------------------------------------------------------------------------
def test_bad_permanence_rows_are_dropped_or_blanked_naming_row_column_and_rule(tmp_path):
    result = run(
        tmp_path,
        permanence=[
            ["C001", "plan_agreed", "2019-03-01", "permanence_order"],  # row 2: good
            ["C999", "plan_agreed", "2019-03-01", "permanence_order"],  # row 3: unknown child
            ["C001", "panel meeting", "2019-04-01", "permanence_order"],  # row 4: milestone not in the list
            ["C001", "agency_decision", "31/13/2019", "permanence_order"],  # row 5: not a date
            ["C001", "application_lodged", "2019-06-01", "PO"],  # row 6: order not in the list: blanked, kept
            ["C001", "order_granted", "2021-01-05", "permanence_order"],  # row 7: after the period
            ["C001", "plan_agreed", "2019-03-01", "permanence_order"],  # row 8: the same milestone twice
            ["C002", "plan_agreed", "2010-01-01", "adoption_order"],  # row 9: before birth
        ],
    )
    assert quarantined(result, "permanence") == [
        (3, "child_id", "unknown child"),
        (4, "milestone", RULE_CODE),
        (5, "milestone_date", RULE_DATE),
        (6, "order_sought", RULE_CODE),
        (7, "milestone_date", "after period end"),
        (8, "milestone", "duplicate milestone"),
        (9, "milestone_date", "milestone before birth"),
    ]
    counts = result.counts["permanence"]
    assert (counts["rows_in"], counts["rows_kept"], counts["cells_blanked"]) == (8, 2, 1)
    kept = result.tables["permanence"]
    assert kept["order_sought"].isna().sum() == 1


def test_a_return_without_the_permanence_table_is_read_as_one_with_no_rows(tmp_path):
    from tests.scotland.test_clean import write_tables

    (write_tables(tmp_path) / "permanence.csv").unlink()
    result = clean.clean(tmp_path, years=[2019, 2020])
    assert result.tables["permanence"].empty
    assert any("permanence.csv: no such file" in w for w in result.warnings)


def test_the_permanence_table_in_the_clean_order():
    assert clean.TABLE_ORDER[-2:] == ["permanence", "aftercare"]
