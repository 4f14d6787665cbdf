"""What each Scottish education outcome is: one specification read by the models, the report, its results and docs.

An :class:`Outcome` says which table the outcome comes from, its response and
family, its exposure, the covariates, the labels and units a reader sees, the
reference category, the model written out, how it is fitted, and how the
planted values of the synthetic data's ``truth.yaml`` are read for it.
:mod:`lac_outcomes.scotland.models` fits what it says and
:mod:`lac_outcomes.scotland.education` builds the report from it; nothing
else keeps a table keyed by outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REFERENCE_PLACEMENT = "with_foster_carers_la"
SESSIONS_FULL_YEAR = 380

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
PLACEMENT_LABELS = {
    "at_home_with_parents": "At home with parents",
    "with_friends_relatives": "With friends/relatives",
    "with_foster_carers_la": "Foster carers (LA)",
    "with_foster_carers_purchased": "Foster carers (purchased)",
    "with_prospective_adopters": "With prospective adopters",
    "other_community": "Other community",
    "la_home": "LA home",
    "voluntary_home": "Voluntary home",
    "residential_school": "Residential school",
    "secure": "Secure",
    "crisis_care": "Crisis care",
    "other_residential": "Other residential",
    "all_looked_after": "All looked after",
    "pupils_not_looked_after": "Pupils not looked after (comparison sample)",
}

COVARIATE_TEXT = {
    "n_placements_minus_1": "number of placements in the year (minus 1)",
    "years_looked_after": "years looked after",
    "age_minus_11": "age on 1 August (minus 11)",
    "male": "male",
    "simd_quintile_minus_1": "SIMD quintile (minus 1; 1 is the most deprived fifth)",
    "asn": "additional support needs",
    "school_year_minus_2010": "school year (minus 2010)",
    "part_year": "looked after for only part of the year",
    "trend_to_2017": "a linear trend to 2017, flat after it (the published series levels off)",
}

_PUPIL_TERMS = (
    "n_placements_minus_1",
    "years_looked_after",
    "age_minus_11",
    "male",
    "simd_quintile_minus_1",
    "asn",
    "school_year_minus_2010",
)

_CLUSTER_FIT = "cov_type='cluster', cov_kwds={'groups': cluster}"


@dataclass(frozen=True)
class Outcome:
    """One education outcome and how it is modelled and shown."""

    name: str
    title: str  # report heading, e.g. "Attendance"
    table: str  # "pupils" or "leavers"
    family: str  # "binomial", "negative_binomial" or "logistic"
    link: str  # "logit" or "log"
    response: str  # column of the model frame holding the outcome (0/1, cases or sessions absent)
    formula_lhs: str  # left-hand side of the statsmodels formula
    terms: tuple[str, ...]
    label: str  # plain words, for tables and axes
    unit: str  # unit of the descriptive rate and predictions
    unit_label: str  # axis and column label of a rate
    unit_short: str  # after a number in the summary line ("%", " per 1,000")
    rate_scale: float  # 100 (percent) or 1000 (per 1,000 pupils)
    population: str  # whom a row is ("pupil-years", "leavers")
    definition: str  # what the outcome is, in a sentence
    formula_text: str  # the model written out for the methods appendix
    fit_text: str  # the statsmodels call
    method_text: str  # why this family, for the Method section
    exposure: str | None = None  # offset, written out
    counts_children: bool = False  # rows with the outcome are children (protect both sides)
    planted_zero: tuple[str, ...] = field(default=())  # terms not in the generating model (planted value 0)
    # How the GLM's planted values are read from truth.yaml: "subject_specific" (coefficients_looked_after)
    # or "population_averaged" (the block of that name, when the generator has a lasting child effect).
    glm_truth: str = "subject_specific"
    child_random_intercept: bool = False  # also fit a model with a child random intercept

    @property
    def estimand(self) -> str:
        """What the main model's coefficients are."""
        if self.table == "leavers":
            return "one row per leaver, so population-averaged and per leaver alike"
        return "population-averaged over pupils (a model over pupil-years, errors clustered by child)"

    @property
    def reference(self) -> str:
        return REFERENCE_PLACEMENT

    @property
    def year_column(self) -> str:
        return "school_year" if self.table == "pupils" else "leaver_year"

    @property
    def ratio_name(self) -> str:
        return "rate ratio" if self.link == "log" else "odds ratio"

    @property
    def coefficient_scale(self) -> str:
        return "log rate ratio" if self.link == "log" else "log odds ratio"

    def covariates_text(self) -> str:
        return ", ".join(COVARIATE_TEXT[t] for t in self.terms)


OUTCOMES: dict[str, Outcome] = {
    "attendance": Outcome(
        name="attendance",
        title="Attendance",
        table="pupils",
        family="binomial",
        link="logit",
        response="sessions_absent",
        formula_lhs="sessions_attended + sessions_absent",
        terms=_PUPIL_TERMS,
        label="Attendance (percent of possible sessions attended)",
        unit="percent of sessions",
        unit_label="Attendance (%)",
        unit_short="%",
        rate_scale=100.0,
        population="pupil-years",
        definition="sessions attended as a percentage of sessions possible",
        formula_text=(
            "sessions_attended ~ Binomial(sessions_possible, p); logit(p) = b0 + b_placement[placement_type] "
            "+ b1 (n_placements - 1) + b2 years_looked_after + b3 (age - 11) + b4 male + b5 (simd_quintile - 1) "
            "+ b6 asn + b7 (school_year - 2010) + a[la_code]"
        ),
        fit_text=f"smf.glm(formula, data, family=Binomial()).fit(method='newton', {_CLUSTER_FIT})",
        method_text=(
            "Binomial GLM (logit link) of sessions attended out of sessions possible. Attendance varies between "
            "pupils far more than a binomial allows (the Pearson dispersion below), so model-based standard errors "
            "would be far too small; the cluster-robust errors used here do not depend on the variance being "
            "binomial. A child's attendance is much the same from one year to the next (a lasting child effect), "
            "and a GLM over pupil-years averages over it: its coefficients are **population-averaged** (the change "
            "in the log odds of attending across all pupils alike), smaller in size than the **subject-specific** "
            "coefficients of a model with a child random intercept (the change for one pupil). Both are reported."
        ),
        glm_truth="population_averaged",
        child_random_intercept=True,
    ),
    "exclusions": Outcome(
        name="exclusions",
        title="Exclusions",
        table="pupils",
        family="negative_binomial",
        link="log",
        response="exclusion_cases",
        formula_lhs="exclusion_cases",
        terms=_PUPIL_TERMS,
        label="Exclusions (cases per 1,000 pupils)",
        unit="cases per 1,000 pupils",
        unit_label="Exclusions per 1,000 pupils",
        unit_short=" per 1,000",
        rate_scale=1000.0,
        population="pupil-years",
        definition="exclusion cases per 1,000 pupils",
        exposure=f"log(sessions_possible / {SESSIONS_FULL_YEAR})",
        formula_text=(
            "exclusion_cases ~ NegBin2(mu, alpha); log(mu) = b0 + b_placement[placement_type] + b1 (n_placements - 1) "
            "+ b2 years_looked_after + b3 (age - 11) + b4 male + b5 (simd_quintile - 1) + b6 asn "
            "+ b7 (school_year - 2010) + a[la_code] + log(sessions_possible / 380); Var = mu + alpha mu^2"
        ),
        fit_text=(
            "smf.negativebinomial(formula, data, offset=log(sessions_possible / 380), loglike_method='nb2')"
            f".fit(method='newton', {_CLUSTER_FIT}), started from the Poisson fit"
        ),
        method_text=(
            "Negative binomial regression (NB2, Var = mu + alpha mu^2, alpha estimated by maximum likelihood) of "
            "exclusion cases, with exposure log(sessions possible / 380): a pupil in school for half the year has "
            "half the chance to be excluded. Coefficients are log rate ratios, **population-averaged** over pupils "
            "(a model over pupil-years with errors clustered by child; the synthetic data plant no lasting child "
            "effect on exclusions, so there they equal the planted per-pupil values)."
        ),
    ),
    "attainment": Outcome(
        name="attainment",
        title="Attainment (SCQF level 5 or better)",
        table="leavers",
        family="logistic",
        link="logit",
        response="scqf5",
        formula_lhs="scqf5",
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
        unit_label="SCQF level 5 or better (%)",
        unit_short="%",
        rate_scale=100.0,
        population="leavers",
        definition="the share of school leavers whose highest qualification is at SCQF level 5 or better",
        counts_children=True,
        formula_text=(
            "logit P(highest SCQF level >= 5) = b0 + b_placement[placement_type] + b1 (n_placements - 1) "
            "+ b2 years_looked_after + b3 (age - 11) + b4 male + b5 (simd_quintile - 1) + b6 asn "
            "+ b7 part_year + b8 (min(leaver_year, 2017) - 2010) + a[la_code]"
        ),
        fit_text=f"smf.glm(formula, data, family=Binomial()).fit(method='newton', {_CLUSTER_FIT})",
        method_text=(
            "Logistic regression of whether a leaver's highest qualification is at SCQF level 5 or better. Each "
            "leaver appears once, so its coefficients are both population-averaged and per leaver."
        ),
        planted_zero=("age_minus_11",),
    ),
    "destination": Outcome(
        name="destination",
        title="Positive follow-up destinations",
        table="leavers",
        family="logistic",
        link="logit",
        response="positive",
        formula_lhs="positive",
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
        unit_label="Positive destination (%)",
        unit_short="%",
        rate_scale=100.0,
        population="leavers",
        definition=(
            "the share of leavers in a positive follow-up destination: higher or further education, training, "
            "employment, voluntary work or personal skills development"
        ),
        counts_children=True,
        formula_text=(
            "logit P(positive destination) = b0 + b_placement[placement_type] + b1 (n_placements - 1) "
            "+ b2 years_looked_after + b3 (age - 11) + b4 male + b5 (simd_quintile - 1) + b6 asn + a[la_code]"
        ),
        fit_text=f"smf.glm(formula, data, family=Binomial()).fit(method='newton', {_CLUSTER_FIT})",
        method_text=(
            "Logistic regression of whether a leaver is in a positive follow-up destination. Each leaver appears "
            "once, so its coefficients are both population-averaged and per leaver."
        ),
        planted_zero=("age_minus_11",),
    ),
}


def outcome(name: str) -> Outcome:
    """The outcome called ``name``, or one clear error naming the ones there are."""
    if name not in OUTCOMES:
        raise ValueError(f"unknown education outcome {name!r}: expected one of {', '.join(OUTCOMES)}")
    return OUTCOMES[name]


def to_markdown() -> str:
    """The outcomes as a document (docs/education_outcomes.md), from the specifications above."""
    lines = [
        "# Scottish education outcomes: definitions and models",
        "",
        "Generated from `lac_outcomes.scotland.outcomes` (`python -c 'from lac_outcomes.scotland.outcomes import "
        'to_markdown; print(to_markdown(), end="")\' > docs/education_outcomes.md`); the reports, their results '
        "files and the models read the same specifications.",
        "",
        f"Reference placement type: {PLACEMENT_LABELS[REFERENCE_PLACEMENT]} (`{REFERENCE_PLACEMENT}`).",
    ]
    for spec in OUTCOMES.values():
        estimand = spec.estimand + (
            "; subject-specific ones from a model with a child random intercept" if spec.child_random_intercept else ""
        )
        lines += [
            "",
            f"## {spec.title} (`{spec.name}`)",
            "",
            f"- Definition: {spec.definition}.",
            f"- Rows: looked-after {spec.population} from the `{spec.table}` table; response `{spec.response}`.",
            f"- Family: {spec.family} ({spec.link} link){f'; exposure {spec.exposure}' if spec.exposure else ''}.",
            f"- Unit shown: {spec.unit}.",
            f"- Covariates: {spec.covariates_text()}; local authority fixed effects.",
            f"- Coefficients: {estimand}.",
            f"- Planted values read for the GLM: `{spec.glm_truth}`"
            + (
                f"; planted at 0 (not in the generating model): {', '.join(spec.planted_zero)}"
                if spec.planted_zero
                else ""
            )
            + ".",
            f"- Model: `{spec.formula_text}`",
            f"- Fit: `{spec.fit_text}`",
        ]
    return "\n".join(lines) + "\n"
