"""Execute a parameterised notebook and render it as a self-contained HTML report.

One process does both: papermill's Python API runs the notebook, nbconvert's
``HTMLExporter`` (``basic`` template: cells only) renders it with code hidden
and figures embedded, and templates/report.html.j2 puts the page around it:
the data-status banner, the key points (the output of the cell tagged
``key-points``, moved to the top), a table of contents, a link back to the
index, the body and the provenance.  The page loads nothing from anywhere: no
scripts, fonts or stylesheets other than its own inline CSS.  Running the two
CLIs back to back would cost a second interpreter start and round of imports.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path

from lac_outcomes import skip_unused_iri_grammars

# Here, where nbformat is imported: every way into rendering goes through this module first.
skip_unused_iri_grammars()

import nbformat  # noqa: E402

from lac_outcomes import provenance  # noqa: E402
from lac_outcomes.io import atomic_path, write_json, write_text  # noqa: E402

log = logging.getLogger(__name__)

SUMMARY_TAG = "summary"
KEY_POINTS_TAG = "key-points"
KERNEL_NAME = "python3"
KERNEL_START_ATTEMPTS = 3
# nbconvert's placeholder when an image output carries no description.
PLACEHOLDER_ALT = "No description has been provided for this image"
INDEX_PAGE = "index.html"
# Width of the figure each report shows on the index (twice the CSS width: sharp on high-density screens).
THUMBNAIL_WIDTH = 520


class NotebookFailed(Exception):
    """A notebook raised an error; the message names the notebook and the cell."""


@dataclass
class Rendered:
    title: str
    summary: str
    html_path: Path
    key_points: list[str] = field(default_factory=list)


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
                        # Not rewritten to disk after every cell: with a report's tables and figures in
                        # it, those rewrites cost more than the rest of the render (issue 13).
                        request_save_on_cell_execute=False,
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


def take_tagged(nb: nbformat.NotebookNode, tag: str) -> list:
    """Remove and return the cells tagged ``tag`` (the renderer shows them elsewhere)."""
    taken = [cell for cell in nb.cells if tag in cell.get("metadata", {}).get("tags", [])]
    nb.cells = [cell for cell in nb.cells if cell not in taken]
    return taken


def cells_html(nb: nbformat.NotebookNode) -> str:
    """The cells as an HTML fragment: nbconvert's ``basic`` template, code and prompts hidden.

    ``basic`` writes only the cells: no require.js or MathJax from a CDN and no
    JupyterLab stylesheet; the page around them is ours (templates/report.html.j2).
    """
    body, _ = _cells_exporter().from_notebook_node(nb)
    return body


_EXPORTER = None


def _cells_exporter():
    """One exporter per process (its templates are loaded once), without HTMLExporter's BeautifulSoup pass.

    HTMLExporter.from_notebook_node parses the finished HTML again with BeautifulSoup
    only to put nbconvert's placeholder alt text on images that lack it and
    ``tabindex`` on JupyterLab cell wrappers, which the ``basic`` template does not
    write; add_missing_alt gives images alt text here.  On a report with large
    tables that pass cost more than the whole notebook (issue 13).
    """
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        class CellsExporter(HTMLExporter):
            def from_notebook_node(self, nb, resources=None, **kw):
                # HTMLExporter's own filter set-up, then the template, and no re-parse.
                language = nb.metadata.get("language_info", {})
                lexer = language.get("pygments_lexer", language.get("name", None))
                highlight = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
                self.register_filter("highlight_code", highlight)
                resources = self._init_resources(resources)
                self.register_filter(
                    "filter_data_type",
                    WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
                )
                return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

        _EXPORTER = CellsExporter(
            template_name="basic", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
        )
    return _EXPORTER


_H1 = re.compile(r"<h1\b[^>]*>.*?</h1>", flags=re.DOTALL)
_TABLE = re.compile(r"<table\b.*?</table>", flags=re.DOTALL)
_IMG = re.compile(r"<img\b[^>]*>", flags=re.DOTALL)
_ALT = re.compile(r"""\salt=(["'])(.*?)\1""", flags=re.DOTALL)


def drop_first_h1(body: str) -> str:
    """The page's one H1 is the report's own title; the notebook's heading would repeat (or contradict) it."""
    return _H1.sub("", body, count=1)


def wrap_tables(body: str) -> str:
    """Each table in a box that scrolls sideways on a narrow screen instead of widening the page."""
    return _TABLE.sub(lambda m: f'<div class="table-scroll">{align_numbers(m.group(0))}</div>', body)


_ROW = re.compile(r"<tr\b[^>]*>.*?</tr>", flags=re.DOTALL)
_CELL = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1>", flags=re.DOTALL)
# A number as tables print it (4,386  -0.52  22.6%  <0.001  (1.01 to 1.16)) or a GSS symbol.
_NUMBER = re.compile(r"^\s*(?:[<>]?-?[\d,]*\.?\d+%?(?:\s*\(.*\))?|c|z|x|low|\[[cxz]\])\s*$")


def align_numbers(table: str) -> str:
    """Numbers right-aligned, text left: cells holding a number (or a GSS symbol) get class ``num``,
    and so do the headers of columns that hold nothing else.

    Columns are matched from the right-hand end of each row, so row labels that
    span rows (a pandas MultiIndex) do not shift them; headers that span columns
    are left as they are.
    """
    head, _, rest = table.partition("<tbody")
    if not rest:
        head, rest = "", table
    else:
        rest = "<tbody" + rest
    numeric_columns: dict[int, bool] = {}  # by position from the right: -1 is the last column

    def mark_body_row(row: re.Match) -> str:
        cells = list(_CELL.finditer(row.group(0)))
        marked = row.group(0)
        for position, cell in zip(range(-len(cells), 0), cells, strict=False):
            tag, attributes, content = cell.groups()
            if tag != "td":
                continue
            is_number = bool(_NUMBER.match(unescape(re.sub(r"<[^>]+>", "", content))))
            numeric_columns[position] = numeric_columns.get(position, True) and is_number
        for cell in reversed(cells):  # from the end, so earlier offsets stay valid
            tag, attributes, content = cell.groups()
            if tag == "td" and "class=" not in attributes and _NUMBER.match(unescape(re.sub(r"<[^>]+>", "", content))):
                start, end = cell.span()
                marked = marked[:start] + f'<td class="num"{attributes}>{content}</td>' + marked[end:]
        return marked

    rest = _ROW.sub(mark_body_row, rest)
    if head and "colspan" not in head:

        def mark_head_row(row: re.Match) -> str:
            cells = list(_CELL.finditer(row.group(0)))
            marked = row.group(0)
            for position, cell in reversed(list(zip(range(-len(cells), 0), cells, strict=False))):
                tag, attributes, content = cell.groups()
                if tag == "th" and numeric_columns.get(position) and "class=" not in attributes:
                    start, end = cell.span()
                    marked = marked[:start] + f'<th class="num"{attributes}>{content}</th>' + marked[end:]
            return marked

        head = _ROW.sub(mark_head_row, head)
    return head + rest


class _Outline(HTMLParser):
    """Headings (level, id, text) and images (position, section heading) of an HTML fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.headings: list[dict] = []
        self.list_items: list[str] = []
        self.paragraphs: list[str] = []
        self._heading: dict | None = None
        self._text: list[str] | None = None
        self._anchor = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("h2", "h3"):
            self._heading = {"level": int(tag[1]), "id": attrs.get("id") or "", "text": ""}
        elif tag == "a" and "anchor-link" in (attrs.get("class") or ""):
            self._anchor = True
        elif tag in ("li", "p") and self._text is None:
            self._text = []

    def handle_endtag(self, tag):
        if tag in ("h2", "h3") and self._heading is not None:
            self._heading["text"] = " ".join(self._heading["text"].split())
            self.headings.append(self._heading)
            self._heading = None
        elif tag == "a":
            self._anchor = False
        elif tag in ("li", "p") and self._text is not None:
            text = " ".join("".join(self._text).split())
            if text:
                (self.list_items if tag == "li" else self.paragraphs).append(text)
            self._text = None

    def handle_data(self, data):
        if self._heading is not None and not self._anchor:
            self._heading["text"] += data
        if self._text is not None:
            self._text.append(data)


_HEADING = re.compile(r"<(h[23])\b.*?</\1\s*>", flags=re.DOTALL | re.IGNORECASE)


def headings_of(body: str) -> list[dict]:
    """H2 and H3 headings that carry an id, for the table of contents."""
    outline = _Outline()
    # Only the headings go through the parser: a report's tables can hold 100,000 tags.
    outline.feed("".join(m.group(0) for m in _HEADING.finditer(body)))
    return [h for h in outline.headings if h["id"] and h["text"]]


def key_points_text(fragment: str) -> list[str]:
    """The key points as plain lines (bullets, or else paragraphs), for the index."""
    outline = _Outline()
    outline.feed(fragment)
    return outline.list_items or outline.paragraphs


def add_missing_alt(body: str, report: str) -> str:
    """Give every image alt text: an image without it gets one from the heading of its section.

    show_figure writes alt text itself; this catches images shown any other way,
    and says so in the log so the notebook can be fixed.
    """
    pieces, last = [], 0
    for match in _IMG.finditer(body):
        tag = match.group(0)
        alt = _ALT.search(tag)
        if alt and alt.group(2).strip() and alt.group(2) != PLACEHOLDER_ALT:
            continue
        section = headings_of(body[: match.start()])
        caption = f"Figure: {section[-1]['text']}" if section else "Figure from the report"
        new_alt = f' alt="{escape(caption, quote=True)}"'
        fixed = _ALT.sub(new_alt, tag, count=1) if alt else tag.replace("<img", "<img" + new_alt, 1)
        log.warning(
            "%s: an image had no alt text; using %r (show it with display.show_figure(fig, alt=...))", report, caption
        )
        pieces += [body[last : match.start()], fixed]
        last = match.end()
    return "".join(pieces) + body[last:]


def first_figure(body: str) -> dict | None:
    """The first embedded PNG of a report, scaled down for the index (src as a data URI, and its alt text)."""
    for match in _IMG.finditer(body):
        tag = match.group(0)
        src = re.search(r"""\ssrc=(["'])data:image/png;base64,([A-Za-z0-9+/=\s]+)\1""", tag)
        if src:
            alt = _ALT.search(tag)
            return {"src": thumbnail(src.group(2)), "alt": unescape(alt.group(2)) if alt else ""}
    return None


def thumbnail(png_base64: str, width: int = THUMBNAIL_WIDTH) -> str:
    """A base64 PNG scaled down to ``width`` pixels (never up), as a data URI."""
    import base64
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(png_base64)))
    image.thumbnail((width, width * 4))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def output_paths(parameters: dict, *, notebook: Path, executed: Path, html: Path) -> dict:
    """Parameters with ``results_path`` and ``tables_dir`` set, relative to the notebook's folder.

    The notebooks' own defaults point under ``.scratch/``; a rendered report's
    results sit beside its executed notebook and its downloadable tables in
    ``<report>/tables/`` beside its HTML, so the page's CSV links resolve.
    """
    cwd = notebook.resolve().parent
    parameters = dict(parameters)
    parameters.setdefault("results_path", os.path.relpath(executed.resolve().parent / "results.json", cwd))
    parameters.setdefault("tables_dir", os.path.relpath(tables_dir_of(html).resolve(), cwd))
    return parameters


def tables_dir_of(html: Path) -> Path:
    """Where a report's downloadable tables go: ``reports/<report>/tables/`` for ``reports/<report>.html``."""
    return Path(html).with_suffix("") / "tables"


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
    from lac_outcomes.report_index import data_status, environment, quality_summary, stylesheet

    notebook, executed, html = Path(notebook), Path(executed), Path(html)
    parameters = output_paths(parameters, notebook=notebook, executed=executed, html=html)
    tables = tables_dir_of(html)
    tables.mkdir(parents=True, exist_ok=True)  # there even when the notebook shows no table: a rule's output
    for stale in tables.glob("*.csv"):  # a table the notebook no longer shows must not stay downloadable
        stale.unlink()
    nb = execute(notebook, executed, parameters)
    title = title or title_of(nb, default=notebook.stem.replace("_", " ").capitalize())
    summary = summary_of(nb)
    _drop_stderr(nb)
    _stable_cell_ids(nb)
    key_cells = take_tagged(nb, KEY_POINTS_TAG)
    key_points_html = cells_html(nbformat.v4.new_notebook(cells=key_cells)) if key_cells else ""
    body = add_missing_alt(wrap_tables(drop_first_h1(cells_html(nb))), report=html.name)
    status = data_status(inputs, parameters)
    for source in status["sources"]:
        source["quality_summary"] = quality_summary(source["quality"]) if source["quality"] else None
    record = provenance.collect(inputs=inputs, parameters=parameters, config_sha256=config_sha256)
    page = (
        environment()
        .get_template("report.html.j2")
        .render(
            title=title,
            css=stylesheet(),
            index_href=INDEX_PAGE,
            status=status,
            key_points_html=key_points_html,
            headings=[*headings_of(body), {"level": 2, "id": "provenance", "text": "Provenance"}],
            body=body,
            provenance_html=provenance.to_html(record),
        )
    )
    write_text(html, page)
    key_points = key_points_text(key_points_html)
    for source in status["sources"]:
        source.pop("quality_summary")  # the index reads quality.json itself, as it is when the index is built
    write_json(
        meta,
        {
            "title": title,
            "summary": summary,
            "key_points": key_points,
            "html": html.name,
            "notebook": str(notebook),
            "data_status": status,
            "figure": first_figure(body),
        },
    )
    return Rendered(title=title, summary=summary, html_path=html, key_points=key_points)
