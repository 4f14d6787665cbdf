"""Models of education outcomes of looked-after children (Scotland).

The notebooks hold the narrative and the modelling choices; the fitting, the
marginal predictions and the planted-truth comparison live here so that they
are tested.

Coding of covariates (the same as the simulator's ``truth.yaml`` so planted
and estimated coefficients compare directly):

* ``placement_type``: factor, treatment coding against ``with_foster_carers_la``;
* ``n_placements_minus_1`` = n_placements - 1 (placements in the school year);
* ``years_looked_after``: total years looked after to the end of the year;
* ``age_minus_11`` = age on 1 August at the start of the school year - 11;
* ``male`` = 1 if sex is M; ``asn`` = 1 if the pupil has additional support needs;
* ``simd_quintile_minus_1`` = SIMD quintile - 1 (numeric, 0 = most deprived);
* ``school_year_minus_2010`` = school year - 2010 (pupils);
* ``part_year`` = 1 if not looked after for the whole school year, and
  ``trend_to_2017`` = min(leaver year, 2017) - 2010 (attainment only);
* local authority: fixed effects (treatment coding against the LA with
  the most rows), so the coefficients are within-authority effects.

All derived variables come from :mod:`lac_outcomes.scotland.derive`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from lac_outcomes.scotland import derive
from lac_outcomes.stats import binned_residuals, binomial_interval  # noqa: F401  (used by reports)
from lac_outcomes.scotland.layout import DESTINATIONS

REFERENCE_PLACEMENT = "with_foster_carers_la"
SESSIONS_FULL_YEAR = 380
PLACEMENT_TERM = f"C(placement_type, Treatment({REFERENCE_PLACEMENT!r}))"

# Published order of placement types (at home first).
PLACEMENT_ORDER = (
    "at_home_with_parents",
    "with_friends_relatives",
    "with_foster_carers_la",
    "with_foster_carers_purchased",
    "with_prospective_adopters",
    "other_community",
    "la_home",
    "voluntary_home",
    "residential_school",
    "secure",
    "crisis_care",
    "other_residential",
)


@dataclass(frozen=True)
class OutcomeSpec:
    """What one education outcome is, and how it is modelled."""

    name: str
    table: str  # "pupils" or "leavers"
    family: str  # "binomial", "negative_binomial" or "logistic"
    terms: tuple[str, ...]
    label: str  # plain words, for tables and axes
    unit: str  # unit of the descriptive rate
    link: str
    formula_text: str  # the model, written out for the methods appendix
    planted_zero: tuple[str, ...] = field(default=())  # terms not in the generating model (planted value 0)


_PUPIL_TERMS = (
    "n_placements_minus_1",
    "years_looked_after",
    "age_minus_11",
    "male",
    "simd_quintile_minus_1",
    "asn",
    "school_year_minus_2010",
)

OUTCOMES: dict[str, OutcomeSpec] = {
    "attendance": OutcomeSpec(
        name="attendance",
        table="pupils",
        family="binomial",
        terms=_PUPIL_TERMS,
        label="Attendance (percent of possible sessions attended)",
        unit="percent of sessions",
        link="logit",
        formula_text=(
            "sessions_attended ~ Binomial(sessions_possible, p); logit(p) = b0 + b_placement[placement_type] "
            "+ b1 (n_placements - 1) + b2 years_looked_after + b3 (age - 11) + b4 male + b5 (simd_quintile - 1) "
            "+ b6 asn + b7 (school_year - 2010) + a[la_code]"
        ),
    ),
    "exclusions": OutcomeSpec(
        name="exclusions",
        table="pupils",
        family="negative_binomial",
        terms=_PUPIL_TERMS,
        label="Exclusions (cases per 1,000 pupils)",
        unit="cases per 1,000 pupils",
        link="log",
        formula_text=(
            "exclusion_cases ~ NegBin2(mu, alpha); log(mu) = b0 + b_placement[placement_type] + b1 (n_placements - 1) "
            "+ b2 years_looked_after + b3 (age - 11) + b4 male + b5 (simd_quintile - 1) + b6 asn "
            "+ b7 (school_year - 2010) + a[la_code] + log(sessions_possible / 380); Var = mu + alpha mu^2"
        ),
    ),
    "attainment": OutcomeSpec(
        name="attainment",
        table="leavers",
        family="logistic",
        terms=(
            "n_placements_minus_1",
            "years_looked_after",
            "age_minus_11",
            "male",
            "simd_quintile_minus_1",
            "asn",
            "part_year",
            "trend_to_2017",
        ),
        label="Leavers with a qualification at SCQF level 5 or better (percent)",
        unit="percent of leavers",
        link="logit",
        formula_text=(
            "logit P(highest SCQF level >= 5) = b0 + b_placement[placement_type] + b1 (n_placements - 1) "
            "+ b2 years_looked_after + b3 (age - 11) + b4 male + b5 (simd_quintile - 1) + b6 asn "
            "+ b7 part_year + b8 (min(leaver_year, 2017) - 2010) + a[la_code]"
        ),
        planted_zero=("age_minus_11",),
    ),
    "destination": OutcomeSpec(
        name="destination",
        table="leavers",
        family="logistic",
        terms=(
            "n_placements_minus_1",
            "years_looked_after",
            "age_minus_11",
            "male",
            "simd_quintile_minus_1",
            "asn",
        ),
        label="Leavers in a positive follow-up destination (percent)",
        unit="percent of leavers",
        link="logit",
        formula_text=(
            "logit P(positive destination) = b0 + b_placement[placement_type] + b1 (n_placements - 1) "
            "+ b2 years_looked_after + b3 (age - 11) + b4 male + b5 (simd_quintile - 1) + b6 asn + a[la_code]"
        ),
        planted_zero=("age_minus_11",),
    ),
}


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------
def _coded(frame: pd.DataFrame, year_column: str) -> pd.DataFrame:
    frame = frame.copy()
    frame["male"] = (frame["sex"] == "M").astype(float)
    frame["asn"] = (frame["asn"] == "Y").astype(float)
    frame["simd_quintile_minus_1"] = frame["simd_quintile"].astype(float) - 1
    frame["age_minus_11"] = frame["age"].astype(float) - 11
    frame["n_placements_minus_1"] = frame["n_placements"].astype(float) - 1
    frame["years_looked_after"] = frame["years_looked_after"].astype(float)
    year = frame[year_column].astype(int)
    frame["school_year_minus_2010"] = (year - 2010).astype(float)
    frame["trend_to_2017"] = (np.minimum(year, 2017) - 2010).astype(float)
    frame["part_year"] = (~frame["looked_after_full_year"].fillna(False).astype(bool)).astype(float)
    return frame


def education_frame(children, episodes, pupils, leavers, outcome: str) -> pd.DataFrame:
    """Every row of the outcome's table (looked after and comparison) with covariates and the outcome.

    Adds the derived covariates (:func:`derive.education_covariates`), their
    model coding (see the module docstring) and the outcome columns:
    ``sessions_absent`` (attendance), ``log_exposure`` = log(sessions_possible /
    380) (exclusions), ``scqf5`` (attainment), ``positive`` (destination).
    """
    spec = OUTCOMES[outcome]
    if spec.table == "pupils":
        frame = _coded(derive.education_covariates(children, episodes, pupils), "school_year")
        frame["sessions_absent"] = frame["sessions_possible"] - frame["sessions_attended"]
        frame["log_exposure"] = np.log(frame["sessions_possible"].astype(float) / SESSIONS_FULL_YEAR)
    else:
        frame = _coded(derive.leaver_covariates(children, episodes, leavers), "leaver_year")
        frame["scqf5"] = (frame["highest_scqf_level"].astype(int) >= 5).astype(float)
        frame["positive"] = frame["destination"].map(DESTINATIONS).astype(float)
    return frame


def model_rows(frame: pd.DataFrame, outcome: str, min_level_rows: int = 30) -> tuple[pd.DataFrame, dict]:
    """Looked-after rows the model is fitted on, and what was left out and why.

    Rows missing a model variable are left out, and so are rows of a
    placement type with fewer than ``min_level_rows`` rows (or whose outcome
    never varies): its coefficient could not be estimated (a handful of
    leavers with none at SCQF level 5 gives an estimate of minus infinity).
    Pupil-years with no sessions possible (a pupil on the roll for none of the
    year) carry no exposure: they are left out of the attendance and exclusion
    models and counted.
    Returns (rows, {"missing": n, "no_sessions_possible": n, "sparse_placement_types": {type: n}, ...}).
    """
    spec = OUTCOMES[outcome]
    looked_after = frame[frame["looked_after"] == "Y"]
    needed = ["placement_type", "la_code", *spec.terms]
    complete = looked_after[needed].notna().all(axis=1)
    no_exposure = pd.Series(False, index=looked_after.index)
    if outcome in ("attendance", "exclusions"):
        no_exposure = complete & (looked_after["sessions_possible"] <= 0)
    rows = looked_after[complete & ~no_exposure]
    response = {
        "attendance": rows.get("sessions_absent"),
        "exclusions": rows.get("exclusion_cases"),
        "attainment": rows.get("scqf5"),
        "destination": rows.get("positive"),
    }[outcome]
    by_type = pd.DataFrame({"placement_type": rows["placement_type"], "y": response})
    summary = by_type.groupby("placement_type")["y"].agg(["size", "nunique"])
    sparse = summary[(summary["size"] < min_level_rows) | (summary["nunique"] < 2)]
    sparse = sparse[sparse.index != REFERENCE_PLACEMENT]
    keep = ~rows["placement_type"].isin(sparse.index)
    # Likewise an authority whose outcome never varies (e.g. no exclusions at all in a small one).
    by_la = pd.DataFrame({"la_code": rows["la_code"], "y": response})[keep].groupby("la_code")["y"].agg(["size", "nunique"])
    flat = by_la[by_la["nunique"] < 2]
    keep &= ~rows["la_code"].isin(flat.index)
    excluded = {
        "missing": int((~complete).sum()),
        "no_sessions_possible": int(no_exposure.sum()),
        "sparse_placement_types": {str(k): int(v) for k, v in sparse["size"].items()},
        "local_authorities_without_variation": {str(k): int(v) for k, v in flat["size"].items()},
    }
    return rows[keep].reset_index(drop=True), excluded


# --------------------------------------------------------------------------
# descriptive rates
# --------------------------------------------------------------------------
def _rate(frame: pd.DataFrame, outcome: str) -> float:
    if len(frame) == 0:
        return np.nan
    if outcome == "attendance":
        return 100 * frame["sessions_attended"].sum() / frame["sessions_possible"].sum()
    if outcome == "exclusions":
        return 1000 * frame["exclusion_cases"].mean()
    column = "scqf5" if outcome == "attainment" else "positive"
    return 100 * frame[column].mean()


def descriptive_rates(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Outcome rate by placement type (looked-after rows), all looked after, and pupils not looked after.

    Returns group, n (pupil-years or leavers) and rate, in the published order;
    the last row is the comparison sample of pupils who are not looked after.
    For the outcomes that count children (attainment, destination) ``with_outcome``
    is the number of leavers with it, so disclosure control can protect the
    leavers without it too; elsewhere it is NaN.
    """
    looked_after = frame[frame["looked_after"] == "Y"]
    flag = {"attainment": "scqf5", "destination": "positive"}.get(outcome)

    def row(group, members):
        with_outcome = float(members[flag].sum()) if flag else np.nan
        return (group, len(members), with_outcome, _rate(members, outcome))

    rows = []
    for placement in PLACEMENT_ORDER:
        members = looked_after[looked_after["placement_type"] == placement]
        if len(members):
            rows.append(row(placement, members))
    rows.append(row("all_looked_after", looked_after))
    rows.append(row("pupils_not_looked_after", frame[frame["looked_after"] == "N"]))
    return pd.DataFrame(rows, columns=["group", "n", "with_outcome", "rate"])


# --------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------
def model_terms(data: pd.DataFrame, outcome: str) -> list[str]:
    """The outcome's covariates that vary in ``data`` (a constant one is absorbed by the intercept).

    E.g. ``trend_to_2017`` is constant when every leaver year is 2017 or later.
    """
    return [t for t in OUTCOMES[outcome].terms if data[t].nunique() > 1]


def formula(outcome: str, terms=None, la_fixed_effects: bool = True, reference_la_code: str | None = None) -> str:
    """The statsmodels formula of the outcome's model (``terms`` default: all of the outcome's covariates).

    LA fixed effects use treatment coding against ``reference_la_code`` (see :func:`reference_la`).
    """
    spec = OUTCOMES[outcome]
    terms = spec.terms if terms is None else terms
    la_term = f"C(la_code, Treatment({reference_la_code!r}))" if reference_la_code else "C(la_code)"
    rhs = " + ".join([PLACEMENT_TERM, *terms, *([la_term] if la_fixed_effects else [])])
    lhs = {
        "attendance": "sessions_attended + sessions_absent",
        "exclusions": "exclusion_cases",
        "attainment": "scqf5",
        "destination": "positive",
    }[outcome]
    return f"{lhs} ~ {rhs}"


def cluster_groups(data: pd.DataFrame, cluster: str) -> np.ndarray:
    """Integer cluster labels: by local authority ("la") or by pupil ("pupil")."""
    column = {"la": "la_code", "pupil": "pupil_id"}[cluster]
    return pd.factorize(data[column])[0]


def choose_cluster(data: pd.DataFrame, cluster: str = "auto", min_clusters: int = 20) -> str:
    """"auto": cluster by LA when there are at least ``min_clusters`` authorities, else by pupil.

    A cluster-robust variance needs many clusters: with a handful of
    authorities it is badly biased downwards, and the authority intercepts are
    already in the model as fixed effects.
    """
    if cluster != "auto":
        return cluster
    return "la" if data["la_code"].nunique() >= min_clusters else "pupil"


def fit_education_model(data: pd.DataFrame, outcome: str, cluster: str = "la"):
    """Fit the outcome's model on looked-after rows (from :func:`model_rows`).

    attendance: binomial GLM of sessions attended out of sessions possible;
    exclusions: negative binomial (NB2, alpha estimated by maximum likelihood)
    with exposure log(sessions_possible / 380); attainment and destination:
    logistic GLM.  Standard errors are cluster-robust by ``cluster`` ("la" or
    "pupil"); local authorities enter as fixed effects.
    """
    spec = OUTCOMES[outcome]
    data = data.copy()
    data["placement_type"] = data["placement_type"].astype(str)
    rhs = formula(outcome, model_terms(data, outcome), reference_la_code=reference_la(data))
    groups = cluster_groups(data, cluster)
    cov = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    if spec.family == "negative_binomial":
        # Start from the Poisson fit: the NB likelihood then converges in a few Newton steps.
        poisson = smf.glm(rhs, data, family=sm.families.Poisson(), offset=data["log_exposure"]).fit(method="newton")
        model = smf.negativebinomial(rhs, data, offset=data["log_exposure"], loglike_method="nb2")
        start = np.append(poisson.params.to_numpy(), 1.0)
        return model.fit(start_params=start, method="newton", maxiter=100, disp=0, **cov)
    # Newton on the likelihood: the same estimates as IRLS, several times faster at 200,000 rows.
    return smf.glm(rhs, data, family=sm.families.Binomial()).fit(method="newton", **cov)


def coefficient_name(term: str) -> str:
    """Readable name of a model term: placement_type[x], la_code[x] or the covariate."""
    if term.startswith("C(placement_type"):
        return "placement_type[" + term.split("[T.", 1)[1].rstrip("]") + "]"
    if term.startswith("C(la_code"):
        return "la_code[" + term.split("[T.", 1)[1].rstrip("]") + "]"
    return term


def coefficients(result, alpha: float = 0.05) -> pd.DataFrame:
    """Estimates, standard errors and (1 - alpha) intervals, by readable term name."""
    interval = result.conf_int(alpha=alpha)
    table = pd.DataFrame(
        {
            "term": [coefficient_name(t) for t in result.params.index],
            "estimate": result.params.to_numpy(),
            "std_error": result.bse.to_numpy(),
            "ci_low": interval.iloc[:, 0].to_numpy(),
            "ci_high": interval.iloc[:, 1].to_numpy(),
            "p_value": result.pvalues.to_numpy(),
        }
    )
    return table.reset_index(drop=True)


def reference_la(data: pd.DataFrame) -> str:
    """The LA absorbed into the intercept: the one with most rows (ties: first code), for a stable reference."""
    counts = data["la_code"].astype(str).value_counts()
    return sorted(counts[counts == counts.max()].index)[0]


def marginal_predictions(result, data: pd.DataFrame, outcome: str, placements=None, alpha: float = 0.05) -> pd.DataFrame:
    """Average predicted outcome if every looked-after row had each placement type, with delta-method intervals.

    Every other covariate keeps its observed value (average marginal
    predictions, "g-computation").  Exclusions are predicted for a full year
    (380 sessions, no offset) per 1,000 pupils; the others in percent.  The
    interval is mean +/- z * SE, with the SE from the gradient of the average
    prediction and the model's (cluster-robust) covariance.
    """
    names = list(result.model.exog_names)
    exog = np.asarray(result.model.exog, dtype=float)
    params = np.asarray(result.params, dtype=float)[: exog.shape[1]]
    cov = np.asarray(result.cov_params(), dtype=float)[: exog.shape[1], : exog.shape[1]]
    columns = {coefficient_name(n): i for i, n in enumerate(names)}
    placement_columns = [i for name, i in columns.items() if name.startswith("placement_type[")]
    present = set(data["placement_type"].astype(str))
    placements = [p for p in PLACEMENT_ORDER if p in present] if placements is None else list(placements)
    scale = 1000.0 if outcome == "exclusions" else 100.0
    z = stats.norm.ppf(1 - alpha / 2)
    counts = data["placement_type"].astype(str).value_counts()
    base = exog.copy()
    base[:, placement_columns] = 0.0
    rows = []
    for placement in placements:
        x = base.copy()
        key = f"placement_type[{placement}]"
        if key in columns:
            x[:, columns[key]] = 1.0
        eta = x @ params
        if OUTCOMES[outcome].link == "log":
            mu = np.exp(eta)
            derivative = mu
        else:
            mu = 1 / (1 + np.exp(-eta))
            derivative = mu * (1 - mu)
        gradient = (derivative[:, None] * x).mean(axis=0)
        se = float(np.sqrt(gradient @ cov @ gradient))
        mean = float(mu.mean())
        rows.append((placement, int(counts.get(placement, 0)), scale * mean, scale * (mean - z * se), scale * (mean + z * se)))
    return pd.DataFrame(rows, columns=["placement_type", "n", "predicted", "ci_low", "ci_high"])


def overdispersion(result, outcome: str) -> dict:
    """Pearson chi-squared / residual df (1 if the family's variance is right), and alpha for NB."""
    spec = OUTCOMES[outcome]
    if spec.family == "negative_binomial":
        fitted = result.predict()
        endog = result.model.endog
        alpha = float(result.params["alpha"])
        pearson = ((endog - fitted) ** 2 / (fitted + alpha * fitted**2)).sum() / result.df_resid
        return {"pearson_dispersion": float(pearson), "alpha": alpha}
    return {"pearson_dispersion": float(result.pearson_chi2 / result.df_resid)}


def pearson_residuals(result, outcome: str) -> pd.DataFrame:
    """Fitted mean and Pearson residual of every row (for residual plots)."""
    spec = OUTCOMES[outcome]
    if spec.family == "negative_binomial":
        fitted = result.predict()
        alpha = float(result.params["alpha"])
        resid = (result.model.endog - fitted) / np.sqrt(fitted + alpha * fitted**2)
        return pd.DataFrame({"fitted": fitted, "residual": resid})
    return pd.DataFrame({"fitted": result.fittedvalues.to_numpy(), "residual": result.resid_pearson.to_numpy()})


# --------------------------------------------------------------------------
# planted truth
# --------------------------------------------------------------------------
def planted_education(truth: dict, outcome: str, data: pd.DataFrame) -> dict[str, float]:
    """Planted values of the model's coefficients, by readable term name.

    The intercept is the planted intercept plus the planted effect of the
    reference LA (the fixed-effects intercept absorbs it); each LA term is
    the difference of its planted effect from the reference LA's.  Terms not
    in the generating model are planted at 0.
    """
    spec = OUTCOMES[outcome]
    block = truth["education"][outcome]
    coefs = block["coefficients_looked_after"]
    la_effect = block["la_effect"]["values"]
    ref = reference_la(data)
    terms = model_terms(data, outcome)
    # A covariate constant in the data is absorbed by the intercept with its planted effect.
    absorbed = sum(
        float(coefs[t]) * float(data[t].iloc[0]) for t in spec.terms if t not in terms and t not in spec.planted_zero
    )
    planted = {"Intercept": float(coefs["intercept"]) + float(la_effect[ref]) + absorbed}
    for placement, value in coefs["placement_type"].items():
        if placement != REFERENCE_PLACEMENT:
            planted[f"placement_type[{placement}]"] = float(value)
    for term in terms:
        planted[term] = 0.0 if term in spec.planted_zero else float(coefs[term])
    for la in sorted(data["la_code"].astype(str).unique()):
        if la != ref:
            planted[f"la_code[{la}]"] = float(la_effect[la]) - float(la_effect[ref])
    if spec.family == "negative_binomial":
        planted["alpha"] = float(block.get("negative_binomial_alpha", np.nan))
    return planted


def compare_with_planted(estimates: pd.DataFrame, planted: dict[str, float], counts: dict[str, int] | None = None) -> pd.DataFrame:
    """Planted beside estimated coefficients, with whether each planted value lies in its interval.

    ``estimates`` comes from :func:`coefficients`; only terms with a planted
    value are kept.  ``counts`` (optional) gives n per placement level.
    """
    table = estimates[estimates["term"].isin(planted)].copy()
    table["planted"] = table["term"].map(planted)
    table["covered"] = (table["ci_low"] <= table["planted"]) & (table["planted"] <= table["ci_high"])
    table["kind"] = np.where(table["term"].str.startswith("la_code["), "la_effect", "coefficient")
    if counts is not None:
        table["n"] = table["term"].map(counts)
    return table.reset_index(drop=True)


def placement_counts(data: pd.DataFrame) -> dict[str, int]:
    """Rows per placement level, keyed as coefficient names."""
    counts = data["placement_type"].value_counts()
    return {f"placement_type[{k}]": int(v) for k, v in counts.items()}
