"""Execute a parameterised notebook and render it as a self-contained HTML report.

One process does both: papermill's Python API runs the notebook, nbconvert's
``HTMLExporter`` renders it with code hidden and figures embedded, and the
provenance block is added.  Running the two CLIs back to back costs a second
interpreter start and a second round of imports per report.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from lac_outcomes import provenance
from lac_outcomes.io import atomic_path, write_json, write_text

log = logging.getLogger(__name__)

SUMMARY_TAG = "summary"
KERNEL_NAME = "python3"
KERNEL_START_ATTEMPTS = 3

REPORT_CSS = """
<style>
body { max-width: 70rem; margin: auto; }
table.sdc-table, table.provenance-table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
table.sdc-table th, table.sdc-table td, table.provenance-table th, table.provenance-table td
  { border-bottom: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: right; }
table.provenance-table th { text-align: left; }
.sdc-note { color: #555; }
section.provenance { margin-top: 3rem; border-top: 2px solid #333; }
</style>
"""


class NotebookFailed(Exception):
    """A notebook raised an error; the message names the notebook and the cell."""


@dataclass
class Rendered:
    title: str
    summary: str
    html_path: Path


def execute(notebook: Path, executed: Path, parameters: dict) -> nbformat.NotebookNode:
    """Run ``notebook`` with ``parameters`` through papermill into ``executed``."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook, executed = Path(notebook), Path(executed)
    # The kernel imports the same lac_outcomes as this process, installed or not.
    package_root = str(Path(__file__).resolve().parents[1])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if package_root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([package_root, *paths])
    with atomic_path(executed, suffix=".ipynb") as tmp:
        try:
            for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
                try:
                    papermill.execute_notebook(
                        str(notebook),
                        str(tmp),
                        parameters=parameters,
                        kernel_name=KERNEL_NAME,
                        cwd=str(notebook.parent.resolve()),  # as when an analyst opens it in JupyterLab
                        progress_bar=False,
                        log_output=False,
                    )
                    break
                except RuntimeError as error:
                    # Kernels started side by side can race for the same TCP ports and
                    # die before they answer; nothing has run yet, so starting again is safe.
                    if "Kernel died before replying" not in str(error):
                        raise NotebookFailed(f"notebook {notebook}: the kernel failed: {error}") from None
                    if attempt == KERNEL_START_ATTEMPTS:
                        raise NotebookFailed(f"notebook {notebook}: the kernel died on start {attempt} times") from None
                    log.warning("kernel for %s died on start (attempt %d); starting again", notebook, attempt)
        except PapermillExecutionError as error:
            failed = executed.with_suffix(".failed.ipynb")
            tmp.replace(failed)
            raise NotebookFailed(
                f"notebook {notebook} failed in cell {error.exec_count}: {error.ename}: {error.evalue} "
                f"(executed copy with the error: {failed})"
            ) from None
        result = nbformat.read(tmp, as_version=4)
    return result


def title_of(nb: nbformat.NotebookNode, default: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, flags=re.MULTILINE)
            if match:
                return match.group(1).strip()
    return default


def summary_of(nb: nbformat.NotebookNode) -> str:
    """The one-line summary printed by the cell tagged ``summary``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and SUMMARY_TAG in cell.get("metadata", {}).get("tags", []):
            text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
            return " ".join(text.split())
    return ""


def _stable_cell_ids(nb: nbformat.NotebookNode) -> None:
    """papermill gives its injected-parameters cell a random id, and ids end up in the HTML."""
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"


def _drop_stderr(nb: nbformat.NotebookNode) -> None:
    """Warnings go to the rule's log, not into a reviewer's report."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                log.warning("stderr from %s: %s", cell.get("id", "?"), output.get("text", "").strip())
            else:
                kept.append(output)
        cell["outputs"] = kept


def to_html(nb: nbformat.NotebookNode, title: str, provenance_html: str) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    return body.replace("</head>", REPORT_CSS + "</head>", 1).replace("</body>", provenance_html + "</body>", 1)


def render(
    notebook,
    *,
    executed,
    html,
    meta,
    parameters: dict,
    inputs,
    config_sha256: str,
    title: str | None = None,
) -> Rendered:
    """Execute ``notebook`` and write the HTML report and its index entry (``meta`` JSON)."""
    nb = execute(Path(notebook), Path(executed), parameters)
    title = title or title_of(nb, default=Path(notebook).stem.replace("_", " ").capitalize())
    summary = summary_of(nb)
    _drop_stderr(nb)
    _stable_cell_ids(nb)
    record = provenance.collect(inputs=inputs, parameters=parameters, config_sha256=config_sha256)
    write_text(html, to_html(nb, title, provenance.to_html(record)))
    write_json(meta, {"title": title, "summary": summary, "html": Path(html).name, "notebook": str(notebook)})
    return Rendered(title=title, summary=summary, html_path=Path(html))


def load_parameters(text: str) -> dict:
    return json.loads(text) if text else {}
