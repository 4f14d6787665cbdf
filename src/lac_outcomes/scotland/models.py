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

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from lac_outcomes.scotland import derive, outcomes
from lac_outcomes.scotland.layout import DESTINATIONS
from lac_outcomes.scotland.outcomes import (  # noqa: F401  (re-exported: the models' vocabulary)
    OUTCOMES,
    PLACEMENT_ORDER,
    REFERENCE_PLACEMENT,
    SESSIONS_FULL_YEAR,
    Outcome,
)
from lac_outcomes.stats import binned_residuals, binomial_interval  # noqa: F401  (used by reports)

PLACEMENT_TERM = f"C(placement_type, Treatment({REFERENCE_PLACEMENT!r}))"


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
    spec = outcomes.outcome(outcome)
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
    if spec.table == "pupils":
        no_exposure = complete & (looked_after["sessions_possible"] <= 0)
    rows = looked_after[complete & ~no_exposure]
    response = rows[spec.response]
    by_type = pd.DataFrame({"placement_type": rows["placement_type"], "y": response})
    summary = by_type.groupby("placement_type")["y"].agg(["size", "nunique"])
    sparse = summary[(summary["size"] < min_level_rows) | (summary["nunique"] < 2)]
    sparse = sparse[sparse.index != REFERENCE_PLACEMENT]
    keep = ~rows["placement_type"].isin(sparse.index)
    # Likewise an authority whose outcome never varies (e.g. no exclusions at all in a small one).
    by_la = (
        pd.DataFrame({"la_code": rows["la_code"], "y": response})[keep].groupby("la_code")["y"].agg(["size", "nunique"])
    )
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
def rate(frame: pd.DataFrame, outcome: str) -> float:
    """The outcome's unadjusted rate over ``frame`` in its unit (percent, or per 1,000 pupils).

    Attendance pools sessions (attended over possible); the others average rows.
    """
    spec = OUTCOMES[outcome]
    if len(frame) == 0:
        return np.nan
    if outcome == "attendance":
        return spec.rate_scale * frame["sessions_attended"].sum() / frame["sessions_possible"].sum()
    return spec.rate_scale * frame[spec.response].mean()


def descriptive_rates(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Outcome rate by placement type (looked-after rows), all looked after, and pupils not looked after.

    Returns group, n (pupil-years or leavers) and rate, in the published order;
    the last row is the comparison sample of pupils who are not looked after.
    For the outcomes that count children (attainment, destination) ``with_outcome``
    is the number of leavers with it, so disclosure control can protect the
    leavers without it too; elsewhere it is NaN.
    """
    looked_after = frame[frame["looked_after"] == "Y"]
    flag = OUTCOMES[outcome].response if OUTCOMES[outcome].counts_children else None

    def row(group, members):
        with_outcome = float(members[flag].sum()) if flag else np.nan
        return (group, len(members), with_outcome, rate(members, outcome))

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
    return f"{spec.formula_lhs} ~ {rhs}"


def cluster_groups(data: pd.DataFrame, cluster: str) -> np.ndarray:
    """Integer cluster labels: by local authority ("la") or by pupil ("pupil")."""
    column = {"la": "la_code", "pupil": "pupil_id"}[cluster]
    return pd.factorize(data[column])[0]


def choose_cluster(data: pd.DataFrame, cluster: str = "auto", min_clusters: int = 20) -> str:
    """ "auto": cluster by LA when there are at least ``min_clusters`` authorities, else by pupil.

    A cluster-robust variance needs many clusters: with a handful of
    authorities it is badly biased downwards, and the authority intercepts are
    already in the model as fixed effects.
    """
    if cluster != "auto":
        return cluster
    return "la" if data["la_code"].nunique() >= min_clusters else "pupil"


def _for_patsy(data: pd.DataFrame) -> pd.DataFrame:
    """A copy with placement type (as text) and LA code as pandas Categoricals of their sorted values.

    patsy reads a Categorical's codes directly but checks a text column value by value in Python
    (seconds at national scale, issue 13); with the categories sorted, as patsy orders the levels of
    text, the design matrix and its column names are the same.
    """
    data = data.copy()
    for column in ("placement_type", "la_code"):
        values = data[column].astype(str) if column == "placement_type" else data[column]
        data[column] = pd.Categorical(values, categories=sorted(values.dropna().unique()))
    return data


class NegativeBinomialScores(sm.NegativeBinomial):
    """statsmodels' NegativeBinomial with NB2's per-row scores in closed form.

    statsmodels differentiates each row's log-likelihood numerically (complex step: one pass over every row
    per parameter, 53 at national scale) when a cluster-robust covariance asks for the rows' scores; these are
    the terms of its own analytic score (``_score_nbin``) left unsummed.
    """

    def score_obs(self, params):
        if self.loglike_method != "nb2" or self._transparams:
            return super().score_obs(params)
        from scipy.special import digamma

        params = np.asarray(params, dtype=float)
        alpha, size = params[-1], 1 / params[-1]
        y, mu = self.endog, self.predict(params[:-1])
        dparams = self.exog * (size * (y - mu) / (mu + size))[:, None]
        dalpha = -(alpha**-2) * (
            digamma(y + size) - digamma(size) + np.log(size) - np.log(size + mu) - (y - mu) / (size + mu)
        )
        return np.column_stack([dparams, dalpha])


def fit_education_model(data: pd.DataFrame, outcome: str, cluster: str = "la"):
    """Fit the outcome's model on looked-after rows (from :func:`model_rows`).

    attendance: binomial GLM of sessions attended out of sessions possible;
    exclusions: negative binomial (NB2, alpha estimated by maximum likelihood)
    with exposure log(sessions_possible / 380); attainment and destination:
    logistic GLM.  Standard errors are cluster-robust by ``cluster`` ("la" or
    "pupil"); local authorities enter as fixed effects.
    """
    spec = OUTCOMES[outcome]
    data = _for_patsy(data)
    rhs = formula(outcome, model_terms(data, outcome), reference_la_code=reference_la(data))
    groups = cluster_groups(data, cluster)
    cov = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    if spec.family == "negative_binomial":
        # Start from the Poisson fit: the NB likelihood then converges in a few Newton steps.
        poisson = smf.glm(rhs, data, family=sm.families.Poisson(), offset=data["log_exposure"]).fit(method="newton")
        model = NegativeBinomialScores.from_formula(rhs, data, offset=data["log_exposure"], loglike_method="nb2")
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


def marginal_predictions(
    result, data: pd.DataFrame, outcome: str, placements=None, alpha: float = 0.05
) -> pd.DataFrame:
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
    # outcome None: a logistic model from elsewhere (England's), predicted in percent.
    spec = OUTCOMES.get(outcome)
    scale, link = (spec.rate_scale, spec.link) if spec else (100.0, "logit")
    z = stats.norm.ppf(1 - alpha / 2)
    counts = data["placement_type"].astype(str).value_counts()
    base = exog.copy()
    base[:, placement_columns] = 0.0
    rows = []
    base_eta = base @ params
    for placement in placements:
        # Every row given this placement: its column set to 1 in a design whose placement columns are 0, so
        # eta and the gradient follow from the base design without copying it (200,000 rows at national scale).
        column = columns.get(f"placement_type[{placement}]")
        eta = base_eta + (params[column] if column is not None else 0.0)
        if link == "log":
            mu = np.exp(eta)
            derivative = mu
        else:
            mu = 1 / (1 + np.exp(-eta))
            derivative = mu * (1 - mu)
        gradient = derivative @ base / len(base)
        if column is not None:
            gradient[column] = derivative.mean()
        se = float(np.sqrt(gradient @ cov @ gradient))
        mean = float(mu.mean())
        rows.append(
            (placement, int(counts.get(placement, 0)), scale * mean, scale * (mean - z * se), scale * (mean + z * se))
        )
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
SUBJECT_SPECIFIC = "subject_specific"
POPULATION_AVERAGED = "population_averaged"


def planted_block(truth: dict, outcome: str, kind: str | None = None) -> tuple[dict, dict, str]:
    """The planted coefficients and LA effects of ``kind``, and the kind actually read.

    ``kind`` (default: what the outcome's GLM estimates, :attr:`Outcome.glm_truth`)
    is "subject_specific" (``coefficients_looked_after``, conditional on any
    child effect) or "population_averaged" (the ``population_averaged`` block the
    generator writes when it plants a lasting child effect).  A truth file
    without that block has no child effect, so the two are the same and the
    subject-specific values are read.
    """
    block = truth["education"][outcome]
    kind = kind or OUTCOMES[outcome].glm_truth
    if kind == POPULATION_AVERAGED and "population_averaged" in block:
        averaged = block["population_averaged"]
        return averaged["coefficients_looked_after"], averaged["la_effect"]["values"], POPULATION_AVERAGED
    return block["coefficients_looked_after"], block["la_effect"]["values"], SUBJECT_SPECIFIC


def planted_education(truth: dict, outcome: str, data: pd.DataFrame, kind: str | None = None) -> dict[str, float]:
    """Planted values of the model's coefficients, by readable term name.

    The intercept is the planted intercept plus the planted effect of the
    reference LA (the fixed-effects intercept absorbs it); each LA term is
    the difference of its planted effect from the reference LA's.  Terms not
    in the generating model are planted at 0.  ``kind``: see :func:`planted_block`.
    """
    spec = OUTCOMES[outcome]
    block = truth["education"][outcome]
    coefs, la_effect, _ = planted_block(truth, outcome, kind)
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
        if la != ref and la in la_effect:
            planted[f"la_code[{la}]"] = float(la_effect[la]) - float(la_effect[ref])
    if spec.family == "negative_binomial":
        planted["alpha"] = float(block.get("negative_binomial_alpha", np.nan))
    return planted


def compare_with_planted(
    estimates: pd.DataFrame, planted: dict[str, float], counts: dict[str, int] | None = None
) -> pd.DataFrame:
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


# --------------------------------------------------------------------------
# child random intercept (subject-specific attendance coefficients)
# --------------------------------------------------------------------------
@dataclass
class RandomInterceptFit:
    """A binomial model with a child random intercept (see :func:`fit_child_random_intercept`).

    ``params``/``bse`` are the fixed effects (subject-specific: conditional on
    the child's effect), ``child_sd`` the SD of the child intercepts on the logit
    scale, ``dispersion`` the quasi-likelihood scale (1 for a binomial); ``iterations`` are the PQL
    iterations of its start and ``converged`` is the final fit's.
    """

    params: pd.Series
    bse: pd.Series
    child_sd: float
    dispersion: float
    n_children: int
    iterations: int
    converged: bool

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(2 * stats.norm.sf(np.abs(self.params / self.bse)), index=self.params.index)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        z = stats.norm.ppf(1 - alpha / 2)
        return pd.DataFrame({0: self.params - z * self.bse, 1: self.params + z * self.bse})


def fit_child_random_intercept(
    data: pd.DataFrame,
    outcome: str = "attendance",
    max_iter: int = 30,
    tol: float = 1e-6,
    integrate: bool = True,
    population_averaged=None,
):
    """Attendance with a random intercept per child: subject-specific coefficients.

    Model: E[attended / possible | child i] = expit(x'b + u_i), u_i ~ Normal(0, s^2),
    Var(attended | u_i) = phi * possible * mu (1 - mu) (quasi-binomial: phi absorbs
    the extra year-to-year variation, as a beta-binomial has it).  Fitted by
    penalized quasi-likelihood (Breslow and Clayton 1993): a linear mixed model
    of the working response, with the child variance by REML, repeated until
    the coefficients settle.  PQL is biased towards zero when each child carries
    little information, so (``integrate``) the estimates are then refined by
    maximising the quasi-likelihood integrated over the child effect (Gauss-Hermite
    quadrature, :func:`_integrated_quasi_likelihood`).  With one random intercept
    the algebra reduces to sums within children, so national data (about 200,000
    pupil-years) fit in a few minutes on one core -- where statsmodels'
    ``BinomialBayesMixedGLM`` takes 0/1 outcomes only (380 sessions a row would
    be 70 million rows) and a GEE estimates population-averaged coefficients
    again.  Standard errors are cluster-robust by child, from the last PQL
    working model (a sandwich at the PQL estimates; the refinement moves the
    estimates by a fraction of a standard error).  PQL starts from the binomial GLM
    without the child effect: ``population_averaged`` (fit_education_model's result),
    when it has been fitted already on the same design, else fitted here.
    """
    import patsy
    from scipy import optimize, sparse

    spec = OUTCOMES[outcome]
    if spec.family != "binomial":
        raise ValueError(f"a child random intercept is fitted for binomial sessions only, not {outcome!r}")
    data = _for_patsy(data)
    rhs = formula(outcome, model_terms(data, outcome), reference_la_code=reference_la(data)).split("~", 1)[1]
    design = patsy.dmatrix(rhs, data, return_type="dataframe")
    x = design.to_numpy(dtype=float)
    names = [coefficient_name(n) for n in design.columns]
    trials = data["sessions_possible"].to_numpy(dtype=float)
    observed = data["sessions_attended"].to_numpy(dtype=float) / trials
    child = pd.factorize(data["pupil_id"])[0]
    n_rows, n_params = x.shape
    n_children = int(child.max()) + 1
    members = sparse.csr_matrix((np.ones(n_rows), (child, np.arange(n_rows))), shape=(n_children, n_rows))

    if population_averaged is not None and list(population_averaged.params.index) == list(design.columns):
        start = np.asarray(population_averaged.params, float)  # the same binomial GLM, already fitted
    else:
        start = sm.GLM(observed, x, family=sm.families.Binomial(), var_weights=trials).fit(method="newton").params
    beta, u = np.asarray(start, float), np.zeros(n_children)
    ratio = 0.5  # child variance / dispersion, first guess
    converged, iteration = False, 0
    for iteration in range(1, max_iter + 1):  # noqa: B007 -- the count is read after the loop (iterations=)
        eta = x @ beta + u[child]
        mu = np.clip(1 / (1 + np.exp(-eta)), 1e-10, 1 - 1e-10)
        weight = trials * mu * (1 - mu)
        working = eta + (observed - mu) / (mu * (1 - mu))
        wx = weight[:, None] * x
        root_wx = np.sqrt(weight)[:, None] * x
        # X'WX as (W^1/2 X)'(W^1/2 X): numpy computes a product of a matrix with its own transpose in half the time.
        xwx, xwz, zwz = root_wx.T @ root_wx, wx.T @ working, float(weight @ working**2)
        s_x = np.asarray(members @ wx)  # per child: sum of w x
        s_z = np.asarray(members @ (weight * working)).ravel()
        total_weight = np.asarray(members @ weight).ravel()

        # Called only within this iteration (by minimize_scalar and just after); the defaults bind this
        # iteration's sums explicitly.
        def solve(log_ratio, xwx=xwx, xwz=xwz, zwz=zwz, s_x=s_x, s_z=s_z, total_weight=total_weight):
            lam = np.exp(log_ratio)
            shrink = lam / (1 + lam * total_weight)
            root_shrunk = np.sqrt(shrink)[:, None] * s_x
            a = xwx - root_shrunk.T @ root_shrunk
            b = xwz - s_x.T @ (shrink * s_z)
            coef = np.linalg.solve(a, b)
            group_resid = s_z - s_x @ coef
            quadratic = zwz - 2 * coef @ xwz + coef @ xwx @ coef - float(shrink @ group_resid**2)
            scale = quadratic / (n_rows - n_params)
            sign, logdet = np.linalg.slogdet(a / scale)
            reml = (n_rows - n_params) * np.log(scale) + np.log1p(lam * total_weight).sum() + logdet
            return reml, coef, scale, a, shrink * group_resid, shrink, group_resid

        best = optimize.minimize_scalar(
            lambda v: solve(v)[0], bounds=(np.log(ratio) - 5, np.log(ratio) + 5), method="bounded"
        )
        _, new_beta, scale, information, u, shrink, group_resid = solve(best.x)
        ratio = float(np.exp(best.x))
        change = np.max(np.abs(new_beta - beta))
        beta = new_beta
        if change < tol:
            converged = True
            break
    # Cluster-robust (sandwich) covariance by child: the quasi-binomial variance is only roughly right
    # (part-year pupils have fewer sessions), so the model-based errors would be too small.
    residual = working - x @ beta
    scores = np.asarray(members @ (wx * residual[:, None])) - shrink[:, None] * s_x * group_resid[:, None]
    bread = np.linalg.inv(information)
    covariance = bread @ (scores.T @ scores) @ bread
    child_sd = float(np.sqrt(ratio * scale))
    if integrate:
        # PQL pulls estimates towards zero when each child carries little information; maximise the
        # quasi-likelihood integrated over the child effect instead, from the PQL estimates.
        refined = _integrated_quasi_likelihood(x, trials, observed * trials, child, beta, child_sd, scale)
        # PQL is only the starting point here: convergence is the integrated fit's.
        converged = bool(refined.success)
        beta, child_sd = refined.x[:-1], float(np.exp(refined.x[-1]))
    return RandomInterceptFit(
        params=pd.Series(beta, index=names),
        bse=pd.Series(np.sqrt(np.diag(covariance)), index=names),
        child_sd=child_sd,
        dispersion=float(scale),
        n_children=n_children,
        iterations=iteration,
        converged=converged,
    )


def _integrated_quasi_likelihood(x, trials, attended, child, beta, child_sd, dispersion, nodes: int = 30):
    """Maximise sum over children of log integral of exp(quasi-log-likelihood(b)) over b ~ Normal(0, sd^2).

    The quasi-binomial log-likelihood of a row is (attended * eta - trials * log(1 + e^eta)) / dispersion,
    with the dispersion held at the PQL estimate; the integral over the child effect is Gauss-Hermite
    quadrature with ``nodes`` points; gradients are exact (posterior-weighted scores).  L-BFGS over the
    coefficients and log sd (the objective: :func:`integrated_quasi_likelihood_objective`).
    """
    from scipy import optimize

    objective = integrated_quasi_likelihood_objective(x, trials, attended, child, dispersion, nodes)
    start = np.append(beta, np.log(max(child_sd, 0.05)))
    return optimize.minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})


def integrated_quasi_likelihood_objective(x, trials, attended, child, dispersion, nodes: int = 30):
    """Minus the integrated quasi-log-likelihood of :func:`_integrated_quasi_likelihood` and its gradient,
    as a function of (coefficients, log sd).

    Each evaluation works on rows x nodes arrays (about 6 million numbers at national scale), so only
    what varies by node is computed at that size: a row's attended * eta, summed within a child, is a
    per-child constant plus the child's attendance times sd * node; the gradient needs only the
    posterior-weighted mean of expit(eta) (and of expit(eta) * node) per row.  The arrays are allocated
    once and reused, since allocating them anew on every call costs as much as the arithmetic.
    """
    from scipy import sparse, special

    points, weights = np.polynomial.hermite_e.hermegauss(nodes)
    log_weights = np.log(weights / weights.sum())
    n_rows, n_params = x.shape
    n_children = int(child.max()) + 1
    trials_by_child = sparse.csr_matrix((trials, (child, np.arange(n_rows))), shape=(n_children, n_rows))
    attended_by_child = np.bincount(child, weights=attended, minlength=n_children)
    node_columns = np.column_stack([np.ones_like(points), points])
    eta, softplus, fitted = (np.empty((n_rows, nodes)) for _ in range(3))

    def objective(theta):
        sd = np.exp(theta[-1])
        linear = x @ theta[:n_params]
        np.add(linear[:, None], sd * points[None, :], out=eta)
        if eta.max() < 700:
            # exp(eta) is finite, so these direct forms are exact to rounding, and several times
            # faster than logaddexp and expit.
            np.exp(eta, out=softplus)
            np.add(softplus, 1, out=fitted)
            np.divide(softplus, fitted, out=fitted)
            np.log1p(softplus, out=softplus)
        else:
            np.logaddexp(0, eta, out=softplus)
            special.expit(eta, out=fitted)
        attended_eta = (
            np.bincount(child, weights=attended * linear, minlength=n_children)[:, None]
            + attended_by_child[:, None] * (sd * points)[None, :]
        )
        per_child = (attended_eta - np.asarray(trials_by_child @ softplus)) / dispersion + log_weights[None, :]
        top = per_child.max(axis=1, keepdims=True)
        total = top.ravel() + np.log(np.exp(per_child - top).sum(axis=1))
        posterior = np.exp(per_child - total[:, None])
        weighted = posterior[child]
        weighted *= fitted
        expected = weighted @ node_columns  # per row: posterior means of expit(eta) and of expit(eta) * node
        row_residual = (attended - trials * expected[:, 0]) / dispersion
        sd_residual = (attended_by_child @ (posterior @ points) - trials @ expected[:, 1]) / dispersion
        gradient = np.append(x.T @ row_residual, sd * sd_residual)
        return -total.sum(), -gradient

    return objective
