"""reports/index.html: every report with its one-line summary and a link."""

from __future__ import annotations

import datetime as dt
import json
from html import escape
from pathlib import Path

from lac_outcomes.io import write_text
from lac_outcomes.provenance import git_commit


def write_index(meta_files: list[Path], out: Path, *, title: str) -> None:
    entries = [json.loads(Path(m).read_text(encoding="utf-8")) for m in meta_files]
    items = "".join(
        f"<li><a href='{escape(e['html'])}'>{escape(e['title'])}</a>"
        f"<p class='summary'>{escape(e.get('summary') or '')}</p></li>"
        for e in entries
    )
    html = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}"
        "li{margin-bottom:1rem}.summary{margin:0.2rem 0;color:#333}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        "<p>Reports produced by the lac-outcomes pipeline. Every table is disclosure-controlled; "
        "each report ends with its provenance (commit, config digest, input checksums, parameters, package versions).</p>"
        f"<ul class='reports'>{items}</ul>"
        f"<p><small>Built from commit <code>{escape(git_commit())}</code> on "
        f"<span class='run-date'>{dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()}</span>.</small></p>"
        "</body></html>\n"
    )
    write_text(out, html)
