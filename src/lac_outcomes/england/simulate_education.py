"""Synthetic linked pupil table for England, with planted effects.

Takes the synthetic 903 returns as written (the text of the Header and
Episodes columns it needs, so it depends only on the published format, not on
how the 903 generator works inside, and not on the reader, which a rule reruns
when edited), derives each child's looked-after status and
covariates for every result year with the analysis's own function
(``lac_outcomes.england.pupils.yearly_child_covariates``), and writes one row per
pupil of KS2 or KS4 age per result year: every child in that year's return of
that age, and a comparison sample of pupils never looked after.

What is planted (written to ``pupils_truth.yaml``): for looked-after pupils,
a latent attainment index

    eta = a[measure, year] + b[placement] + b_years * years_in_care + b_moves * moves
          + b_entry * age_at_entry + b_sen[SEN] + u[LA of the return]

and each threshold measure is 1 when ``eta + e > 0`` with standard logistic
``e`` drawn per measure, so the log-odds of every threshold measure is exactly
``eta``: the report's logistic model of the KS4 threshold (five A*-C including
English and maths until 2016, grade 4 or above in English and maths from
2017) should recover ``b`` and ``b_sen``.  KS2 levels are ordered cuts of the
same kind (level 4 or above when ``eta + e > 0``).  Scaled scores and
Attainment 8 are continuous functions of ``eta`` plus noise.  Intercepts are
set so that the national looked-after rates match the published figures where
they exist (``CALIBRATION``; each says its source, or that it is assumed).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

from lac_outcomes.england.layout import (
    FIRST_ATT8_YEAR,
    FIRST_GRADE4_YEAR,
    LAST_KS2_LEVEL_YEAR,
    LAST_KS4_5AC_YEAR,
    NO_KS2_TESTS,
    PUPILS,
    PUPILS_FILE,
)
from lac_outcomes.england.pupils import KEY_STAGE_AGE, REFERENCE_PLACEMENT, yearly_child_covariates

TRUTH_FILE = "pupils_truth.yaml"
# The columns of the 903 returns the pupil table is drawn from (with LA and YEAR), and which of them are dates.
LINKED_TABLES = {"Header": ["CHILD", "SEX", "DOB"], "Episodes": ["CHILD", "DECOM", "DEC", "RNE", "LS", "PLACE"]}
DATE_COLUMNS = {"DOB", "DECOM", "DEC"}
SOURCE_OUTCOMES_2019 = "https://equal.education/blog/latest-outcomes-data-for-looked-after-children"
SOURCE_KS2_2011 = "http://webarchive.nationalarchives.gov.uk/20120504203418/http:/education.gov.uk/rsgateway/DB/SFR/s001046/index.shtml"

# National rates the intercepts are set to (looked after 12 months at 31 March, and all pupils).  "published":
# in data/raw/published/published_figures.csv with its source; "assumed": no published figure found here.
CALIBRATION = {
    ("KS2", "level4_english"): {
        "looked_after": 0.53,
        "all": 0.81,
        "basis": "published 2011 (6-month cohort); all assumed",
    },
    ("KS2", "level4_maths"): {
        "looked_after": 0.52,
        "all": 0.80,
        "basis": "published 2011 (6-month cohort); all assumed",
    },
    ("KS2", "reading"): {"looked_after": 0.50, "all": 0.73, "basis": "assumed"},
    ("KS2", "maths"): {"looked_after": 0.50, "all": 0.79, "basis": "assumed"},
    ("KS2", "writing"): {"looked_after": 0.50, "all": 0.78, "basis": "assumed"},
    ("KS4", "5ac_em"): {
        "looked_after": 0.14,
        "all": 0.54,
        "basis": "assumed (5+ A*-C without the EM condition: 18.3% in 2015)",
    },
    ("KS4", "em_grade4"): {"looked_after": 0.18, "all": 0.64, "basis": "assumed"},
}
ATT8_MEAN = {"looked_after": 19.1, "all": 44.6}  # 2019, published
# SEN provision: looked after (2019, published: EHC plan 27.0%, SEN support 28.7%); all pupils (14.9% with SEN,
# published; the EHC share of it assumed).
SEN_SHARES = {"looked_after": {"N": 0.443, "K": 0.287, "E": 0.27}, "all": {"N": 0.851, "K": 0.119, "E": 0.03}}

# Planted log-odds effects (reference: foster care with a carer who is not a relative or friend; no SEN).
PLACEMENT_EFFECTS = {
    "Foster: relative or friend": 0.10,
    REFERENCE_PLACEMENT: 0.0,
    "Placed with parents": -0.60,
    "Placed for adoption": 0.20,
    "Residential": -0.90,
    "Other placement": -0.50,
}
COVARIATE_EFFECTS = {"years_in_care": 0.08, "moves": -0.30, "age_at_entry": -0.06}
SEN_EFFECTS = {"N": 0.0, "K": -1.0, "E": -2.2}
SEN_EFFECTS_ALL = {"N": 0.0, "K": -1.3, "E": -2.6}
LA_SD = 0.3
COMPARISON_PER_LINKED = 3  # comparison pupils per matched pupil, per LA, year and key stage (plus a floor)
COMPARISON_FLOOR = 40


def _measures(key_stage: str, year: int) -> list[str]:
    if key_stage == "KS2":
        if year in NO_KS2_TESTS:
            return []
        return ["level4_english", "level4_maths"] if year <= LAST_KS2_LEVEL_YEAR else ["reading", "maths", "writing"]
    measures = ["5ac_em"] if year <= LAST_KS4_5AC_YEAR else []
    return measures + (["em_grade4"] if year >= FIRST_GRADE4_YEAR else [])


def _intercept(eta: np.ndarray, target: float) -> float:
    """The intercept that makes the mean predicted rate of these pupils the target (calibration in sample)."""
    if len(eta) == 0:
        return float(np.log(target / (1 - target)))
    return float(brentq(lambda a: expit(eta + a).mean() - target, -15, 15))


def _pseudonyms(prefix: str, suffixes) -> list[str]:
    """Pupil IDs from a hash of ``prefix|suffix`` (prefix: the seed and what places the pupil), one per suffix."""
    sha256 = hashlib.sha256
    return ["P" + sha256(f"{prefix}|{suffix}".encode()).hexdigest()[:12].upper() for suffix in suffixes]


def _typed(text: pd.DataFrame) -> pd.DataFrame:
    """Text columns as the 903 reader gives them: a blank cell missing, dd/mm/yyyy dates as dates."""
    typed = text.mask(text.eq(""))
    for column in DATE_COLUMNS.intersection(typed.columns):
        # each distinct date parsed once: a national run writes millions of dates but only some 30,000 days
        codes, days = pd.factorize(typed[column])
        parsed = pd.to_datetime(pd.Series(days, dtype=object), format="%d/%m/%Y").to_numpy()
        typed[column] = np.where(codes >= 0, parsed[codes], np.datetime64("NaT")).astype(parsed.dtype)
    return typed


def _draw(rng, eta: np.ndarray) -> np.ndarray:
    return eta + rng.logistic(size=len(eta))


def simulate_pupils(
    header: pd.DataFrame, episodes: pd.DataFrame, *, seed: int, years: list[int]
) -> tuple[pd.DataFrame, dict]:
    """The linked pupil table (strings, as written) and its planted truth, from cleaned 903 Header and Episodes."""
    rng = np.random.default_rng([seed, 17])
    las = sorted(header["LA"].unique())
    la_effect = dict(zip(las, rng.normal(0.0, LA_SD, size=len(las)).round(6), strict=True))
    frames, intercepts = [], []
    covariates = yearly_child_covariates(header, episodes, sorted(years))
    for year in sorted(years):
        cov = covariates[year]
        for key_stage, age in KEY_STAGE_AGE.items():
            linked = cov.loc[cov["age_31_august"] == age].copy()
            if linked.empty or not _measures(key_stage, year):  # no results that year (KS2 2020, 2021)
                continue
            linked["group"] = np.where(linked["cla_12m"], "looked_after", "other")
            linked["SEN"] = rng.choice(
                list(SEN_SHARES["looked_after"]), size=len(linked), p=list(SEN_SHARES["looked_after"].values())
            )
            # A child looked after for less than 12 months, or on short breaks, has no placement effect planted.
            placement = linked["placement_type"].map(PLACEMENT_EFFECTS).fillna(0.0)
            linked["eta"] = (
                placement.to_numpy()
                + sum(COVARIATE_EFFECTS[k] * linked[k].fillna(0).to_numpy() for k in COVARIATE_EFFECTS)
                + linked["SEN"].map(SEN_EFFECTS).to_numpy()
                + linked["LA"].map(la_effect).to_numpy()
            )
            linked["SCHOOL_LA"] = linked["LA"]
            linked["LA_903"] = linked["LA"]
            linked["PUPIL_ID"] = _pseudonyms(
                str(seed), (f"{la}|{child}" for la, child in zip(linked["LA"], linked["CHILD"], strict=True))
            )
            # a comparison sample per LA (its draws in LA order), made into one frame
            ids, school_la, sex, sen, eta = [], [], [], [], []
            for la, members in linked.groupby("LA"):
                n = COMPARISON_PER_LINKED * len(members) + COMPARISON_FLOOR
                sen.append(rng.choice(list(SEN_SHARES["all"]), size=n, p=list(SEN_SHARES["all"].values())))
                ids += _pseudonyms(f"{seed}|npd|{year}|{key_stage}|{la}", range(n))
                school_la.append(np.full(n, la, dtype=object))
                sex.append(rng.choice(["1", "2"], size=n))
                eta.append(pd.Series(sen[-1]).map(SEN_EFFECTS_ALL).to_numpy() + rng.normal(0.0, 0.5, size=n))
            comparison = pd.DataFrame(
                {
                    "PUPIL_ID": ids,
                    "SCHOOL_LA": np.concatenate(school_la),
                    "LA_903": "",
                    "CHILD": "",
                    "SEX": np.concatenate(sex),
                    "SEN": np.concatenate(sen),
                    "group": "not_looked_after",
                    "eta": np.concatenate(eta),
                }
            )
            rows = pd.concat([linked, comparison], ignore_index=True)
            rows["KEY_STAGE"], rows["RESULT_YEAR"] = key_stage, year
            for measure in _measures(key_stage, year):
                target = CALIBRATION[(key_stage, measure)]
                for group, rate_key in (
                    ("looked_after", "looked_after"),
                    ("not_looked_after", "all"),
                    ("other", "looked_after"),
                ):
                    members = rows["group"] == group
                    base = rows.loc[rows["group"] == ("looked_after" if group == "other" else group), "eta"].to_numpy()
                    a = _intercept(base, target[rate_key])
                    rows.loc[members, measure] = _draw(rng, rows.loc[members, "eta"].to_numpy() + a)
                    if group == "looked_after":
                        intercepts.append(
                            {"key_stage": key_stage, "measure": measure, "year": year, "intercept": round(a, 6)}
                        )
            if key_stage == "KS4" and year >= FIRST_ATT8_YEAR:
                for group, mean_key, sd in (
                    ("looked_after", "looked_after", 8.0),
                    ("other", "looked_after", 8.0),
                    ("not_looked_after", "all", 14.0),
                ):
                    members = rows["group"] == group
                    eta = rows.loc[members, "eta"].to_numpy()
                    centre = eta - (eta.mean() if len(eta) else 0.0)
                    att8 = ATT8_MEAN[mean_key] + 6.0 * centre + rng.normal(0.0, sd, size=len(eta))
                    rows.loc[members, "KS4_ATT8"] = np.clip(att8, 0, 90).round(1)
            frames.append(rows)
    pupils = pd.concat(frames, ignore_index=True)
    out = pd.DataFrame({c: pupils.get(c, pd.Series("", index=pupils.index)) for c in PUPILS.column_names})
    out = _write_measures(out, pupils)
    truth = {
        "generator": {"module": __name__, "seed": int(seed), "years": sorted(int(y) for y in years)},
        "model": {
            "outcome": "KS4 threshold: 5+ A*-C incl. English and maths (to 2016), grade 4+ English and maths (2017-)",
            "link": "logit",
            "reference_placement": REFERENCE_PLACEMENT,
            "placement_type": {k: v for k, v in PLACEMENT_EFFECTS.items() if k != REFERENCE_PLACEMENT},
            "covariates": dict(COVARIATE_EFFECTS),
            "sen": {k: v for k, v in SEN_EFFECTS.items() if k != "N"},
            "la_sd": LA_SD,
        },
        "la_effects": {k: float(v) for k, v in la_effect.items()},
        "intercepts": intercepts,
        "calibration": [
            {"key_stage": ks, "measure": m, **{k: v for k, v in t.items()}} for (ks, m), t in CALIBRATION.items()
        ],
    }
    return out.astype(object).where(out.notna(), ""), truth


def _level(z: np.ndarray) -> np.ndarray:
    """KS2 level from the latent draw: level 4 or above exactly when z > 0."""
    return 1 + (z > -3.0) + (z > -1.5) + (z > 0.0) + (z > 1.5) + (z > 4.0)


def _write_measures(out: pd.DataFrame, pupils: pd.DataFrame) -> pd.DataFrame:
    def present(column):
        return pupils[column].notna() if column in pupils else pd.Series(False, index=pupils.index)

    for column in (
        "KS2_ENG_LEVEL",
        "KS2_MAT_LEVEL",
        "KS2_READ_SCALED",
        "KS2_MAT_SCALED",
        "KS4_5AC_EM",
        "KS4_EM_GRADE4",
    ):
        out[column] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out["KS2_WRIT_TA"] = ""
    for measure, column in (("level4_english", "KS2_ENG_LEVEL"), ("level4_maths", "KS2_MAT_LEVEL")):
        has = present(measure)
        if has.any():
            out.loc[has, column] = _level(pupils.loc[has, measure].to_numpy())
    for measure, column in (("reading", "KS2_READ_SCALED"), ("maths", "KS2_MAT_SCALED")):
        has = present(measure)
        if not has.any():
            continue
        # 100 (the expected standard) or more exactly when the latent draw is above 0.
        score = np.where(
            pupils.loc[has, measure] > 0,
            100 + np.floor(pupils.loc[has, measure] * 4),
            99 + np.ceil(pupils.loc[has, measure] * 4),
        )
        out.loc[has, column] = np.clip(score, 80, 120).astype(int)
    has = present("writing")
    if has.any():
        z = pupils.loc[has, "writing"].to_numpy()
        out.loc[has, "KS2_WRIT_TA"] = np.select([z > 2.5, z > 0, z > -2, z > -4], ["GDS", "EXS", "WTS", "PKF"], "BLW")
    for measure, column in (("5ac_em", "KS4_5AC_EM"), ("em_grade4", "KS4_EM_GRADE4")):
        has = present(measure)
        if not has.any():
            continue
        out.loc[has, column] = (pupils.loc[has, measure] > 0).astype(int)
    return out


def simulate_education(raw_dir: Path, returns: dict[str, pd.DataFrame], *, seed: int, years: list[int]) -> dict:
    """Write ``pupils.csv`` and ``pupils_truth.yaml`` beside the synthetic 903 returns in ``raw_dir``.

    ``returns``: the Header and Episodes text as written (``LINKED_TABLES`` columns with ``LA`` and ``YEAR``).

    Returns the planted truth, whose ``files`` lists the data file written (for the 903 truth's list of files).
    """
    import yaml

    from lac_outcomes.io import atomic_path, write_text

    raw_dir = Path(raw_dir)
    header, episodes = _typed(returns["Header"]), _typed(returns["Episodes"])
    pupils, truth = simulate_pupils(header, episodes, seed=seed, years=years)
    with atomic_path(raw_dir / PUPILS_FILE) as path:
        pupils.to_csv(path, index=False, lineterminator="\n")
    truth["files"] = [PUPILS_FILE]
    write_text(raw_dir / TRUTH_FILE, yaml.safe_dump(truth, sort_keys=False, width=100))
    return truth
