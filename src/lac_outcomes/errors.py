"""Errors that end a run with one clear message (kept free of heavy imports)."""

from __future__ import annotations


class InputError(Exception):
    """A structural fault in an input that stops the run.

    The message names the file and, where known, the row, column and rule, so
    the user can fix the file without reading a traceback.
    """

    def __init__(self, file, message: str, *, row=None, column=None, rule=None):
        self.file = str(file)
        self.row = row
        self.column = column
        self.rule = rule
        where = [f"file {self.file}"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        if rule is not None:
            where.append(f"rule {rule}")
        super().__init__(f"{', '.join(where)}: {message}")


class ConfigError(Exception):
    """A configuration value the run cannot use (e.g. years first after last, an unknown authority code).

    The message is one line that names the setting and the fix.
    """
