"""lac-outcomes: outcomes of looked-after children in Scotland and England."""

__version__ = "0.1.0"


def skip_unused_iri_grammars() -> None:
    """Let jsonschema import without rfc3987_syntax, which it would use only to check IRI formats.

    With rfc3987-syntax installed (jupyterlab's dependencies pull it in) jsonschema builds
    some 40 grammars when imported: about 1 s of CPU in every process that imports it
    (a snakemake start, a render).  Neither the config schema nor notebook validation
    checks an IRI format.  Call before jsonschema (or nbformat) is first imported.
    """
    import sys

    sys.modules.setdefault("rfc3987_syntax", None)
