"""lac-outcomes: outcomes of looked-after children in Scotland and England."""

__version__ = "0.1.0"
