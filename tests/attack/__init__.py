"""An attacker independent of the package: it reads a finished run's outputs and never imports ``lac_outcomes``."""
