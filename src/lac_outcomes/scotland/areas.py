"""Where and when a run's Scottish data are from, in words: "Scotland" only when every authority is loaded."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lac_outcomes.scotland.layout import LOCAL_AUTHORITIES


def la_name(code) -> str:
    """The authority's name for a GSS code (the code itself if the layout does not know it)."""
    return LOCAL_AUTHORITIES.get(str(code), str(code))


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class Area:
    """The local authorities a run's data cover, by name."""

    codes: tuple[str, ...]

    @classmethod
    def loaded(cls, children: pd.DataFrame) -> Area:
        """The authorities of the children in the data (every child has one)."""
        present = {str(c) for c in children["la_code"].dropna().unique()}
        return cls(tuple(sorted(present, key=lambda code: (code not in LOCAL_AUTHORITIES, la_name(code)))))

    @property
    def is_scotland(self) -> bool:
        return set(LOCAL_AUTHORITIES) <= set(self.codes)

    @property
    def name(self) -> str:
        """ "Scotland", or the authorities by name ("Fife and Glasgow City")."""
        if self.is_scotland:
            return "Scotland"
        if not self.codes:
            return "no local authority"
        if len(self.codes) > 4:  # a title that lists twenty names is not read
            return f"{len(self.codes)} of the {len(LOCAL_AUTHORITIES)} Scottish local authorities"
        return _join([la_name(c) for c in self.codes])

    @property
    def total_label(self) -> str:
        """A short label for a total row: "Scotland" or "Total (n authorities)"."""
        if self.is_scotland:
            return "Scotland"
        return f"Total ({len(self.codes)} authorities)" if len(self.codes) > 1 else self.name

    @property
    def coverage(self) -> str:
        """A sentence-part for methods text: how many of Scotland's authorities the data cover."""
        n = len(self.codes)
        if self.is_scotland:
            return f"all {len(LOCAL_AUTHORITIES)} local authorities in Scotland"
        return f"{n} of Scotland's {len(LOCAL_AUTHORITIES)} local authorities ({self.name})"


@dataclass(frozen=True)
class Period:
    """The observation period: looked-after years ``first_year`` to ``last_year``, 1 August to 31 July."""

    first_year: int
    last_year: int

    @classmethod
    def configured(cls, first_year, last_year, pupils: pd.DataFrame | None = None) -> Period:
        """From the configured years; without them (a standalone run), the school years in ``pupils``."""
        if first_year is None or last_year is None:
            years = sorted(int(y) for y in pupils["school_year"].unique())
            first_year, last_year = years[0], years[-1]
        return cls(int(first_year), int(last_year))

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.first_year - 1, 8, 1)

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.last_year, 7, 31)

    @property
    def text(self) -> str:
        return (
            f"1 August {self.first_year - 1} to 31 July {self.last_year} "
            f"(looked-after years {self.first_year} to {self.last_year})"
        )
