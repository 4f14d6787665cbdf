"""Long tables in a report sort by a column and show their first rows until asked (templates/tables.js).

The page is rendered through the real report template and driven in headless Chromium; the orders
it produces are compared with orders computed here in plain Python.
"""

from __future__ import annotations

import json
import re
from html import unescape

import chromium_support
import pandas as pd
import pytest

pytestmark = pytest.mark.skipif(chromium_support.CHROMIUM is None, reason="chromium is not installed")

ROWS = 45
PAGE_ROWS = 20

DRIVER = """
<script>
addEventListener('load', () => {
  const table = document.querySelector('main table');
  const visible = () => [...table.tBodies[0].rows].filter(r => !r.hidden).length;
  const firstColumn = () => [...table.tBodies[0].rows].map(r => r.cells[0].textContent.trim());
  const found = {sortable: table.dataset.sortable || null, visible_at_load: visible()};
  const paging = document.querySelector('button.table-paging');
  found.paging_label = paging ? paging.textContent : null;
  paging.click();
  found.visible_after_show_all = visible();
  paging.click();
  found.visible_after_show_first = visible();
  const sortRate = table.tHead.rows[table.tHead.rows.length - 1].cells[2].querySelector('button.sort');
  sortRate.click();
  found.ascending = firstColumn();
  found.visible_after_sort = visible();
  sortRate.click();
  found.descending = firstColumn();
  const sortName = table.tHead.rows[table.tHead.rows.length - 1].cells[1].querySelector('button.sort');
  sortName.click();
  found.by_name = firstColumn();
  const probe = document.createElement('pre');
  probe.id = 'lac-probe';
  probe.textContent = JSON.stringify(found);
  document.body.appendChild(probe);
});
</script>
"""


def _authorities() -> pd.DataFrame:
    """LA rows as a report shows them: counts with thousands separators, rates as percentages, withheld cells as c."""
    rows = []
    for i in range(ROWS):
        looked_after = (i * 7919) % 2300 + 3
        withheld = i % 9 == 4
        rows.append(
            {
                "LA": f"E06{i:06d}",
                "name": f"Authority {chr(65 + (i * 11) % 26)}{i}",
                "rate": "c" if withheld else f"{(i * 37) % 100 + 0.5:.1f}%",
                "looked after": "c" if withheld else f"{looked_after:,}",
            }
        )
    return pd.DataFrame(rows)


def _page(tmp_path, frame: pd.DataFrame):
    from lac_outcomes.render import wrap_tables
    from lac_outcomes.report_index import environment, stylesheet

    body = wrap_tables("<h2 id='t'>Table</h2>" + frame.to_html(index=False, border=0))
    html = (
        environment()
        .get_template("report.html.j2")
        .render(
            title="Tables",
            css=stylesheet(),
            index_href="index.html",
            status={"sources": [], "synthetic": True, "kind": "synthetic"},
            key_points_html="",
            headings=[],
            body=body,
            provenance_html="",
        )
    )
    page = tmp_path / "tables.html"
    page.write_text(html.replace("</body>", DRIVER + "</body>", 1), encoding="utf-8")
    return page


def _drive(page) -> dict:
    result = chromium_support.run("--dump-dom", page.as_uri())
    found = re.search(r'<pre id="lac-probe">(.*?)</pre>', result.stdout, flags=re.DOTALL)
    assert found, f"the page did not report: {result.stderr[-2000:]}"
    return json.loads(unescape(found.group(1)))


@pytest.fixture(scope="module")
def driven(tmp_path_factory):
    frame = _authorities()
    return frame, _drive(_page(tmp_path_factory.mktemp("tables"), frame))


def test_a_long_table_shows_its_first_rows_until_asked(driven):
    _, found = driven
    assert found["visible_at_load"] == PAGE_ROWS
    assert found["paging_label"] == f"Show all {ROWS} rows"
    assert found["visible_after_show_all"] == ROWS
    assert found["visible_after_show_first"] == PAGE_ROWS
    assert found["visible_after_sort"] == PAGE_ROWS


def test_sorting_orders_numbers_as_numbers_and_puts_withheld_cells_last(driven):
    frame, found = driven
    assert found["sortable"] == "true"
    shown = frame[frame["rate"] != "c"].assign(value=lambda f: f["rate"].str.rstrip("%").astype(float))
    withheld = frame.loc[frame["rate"] == "c", "LA"].tolist()
    ascending = shown.sort_values("value", kind="stable")["LA"].tolist()
    descending = shown.sort_values("value", ascending=False, kind="stable")["LA"].tolist()
    assert found["ascending"] == ascending + withheld
    # the second click reverses the shown values; withheld cells stay at the end, in the order they had
    assert found["descending"][: len(descending)] == descending
    assert sorted(found["descending"][len(descending) :]) == sorted(withheld)


def test_sorting_text_follows_natural_order(driven):
    frame, found = driven
    names = frame.set_index("LA")["name"]
    expected = sorted(frame["LA"], key=lambda la: (names[la].split(" ")[1][0], int(names[la].split(" ")[1][1:])))
    assert found["by_name"] == expected


def test_a_short_table_is_left_alone(tmp_path):
    frame = _authorities().head(5)
    page = _page(tmp_path, frame)
    text = page.read_text(encoding="utf-8").replace(DRIVER, "")
    probe = """<script>addEventListener('load', () => { const t = document.querySelector('main table');
      const p = document.createElement('pre'); p.id = 'lac-probe';
      p.textContent = JSON.stringify({sortable: t.dataset.sortable || null, paged: t.dataset.paged || null,
        buttons: document.querySelectorAll('main button').length}); document.body.appendChild(p); });</script>"""
    page.write_text(text.replace("</body>", probe + "</body>", 1), encoding="utf-8")
    assert _drive(page) == {"sortable": None, "paged": None, "buttons": 0}


def test_a_table_with_row_labels_spanning_rows_sorts_whole_rows(tmp_path):
    """pandas prints a two-level index with each authority's name spanning its years: sorting must keep pairs."""
    frame = _authorities().head(12)
    long = pd.concat([frame.assign(year=year) for year in (2023, 2024)])
    long["looked after"] = [f"{(i * 613) % 997 + 6:,}" for i in range(len(long))]
    table = long.set_index(["name", "year"])[["looked after"]].sort_index()
    body = table.to_html(border=0)
    assert 'rowspan="2"' in body  # the layout this test is about
    page = _page(tmp_path, pd.DataFrame())
    text = page.read_text(encoding="utf-8").replace(DRIVER, "")
    text = re.sub(r"<table.*?</table>", lambda _: body, text, count=1, flags=re.DOTALL)
    probe = """<script>addEventListener('load', () => { const t = document.querySelector('main table');
      const labels = [...t.tHead.rows].flatMap(r => [...r.cells]).filter(c => c.querySelector('button.sort'));
      labels.find(c => c.textContent.trim() === 'looked after').querySelector('button').click();
      const p = document.createElement('pre'); p.id = 'lac-probe';
      p.textContent = JSON.stringify({labels: labels.map(c => c.textContent.trim()),
        rows: [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent.trim()))});
      document.body.appendChild(p); });</script>"""
    page.write_text(text.replace("</body>", probe + "</body>", 1), encoding="utf-8")
    found = _drive(page)
    assert found["labels"] == ["looked after", "name", "year"]
    expected = (
        long.assign(value=long["looked after"].str.replace(",", "").astype(int))
        .sort_values(["name", "year"])
        .sort_values("value", kind="stable")
    )
    columns = zip(expected["name"], expected["year"], expected["looked after"], strict=True)
    assert found["rows"] == [[name, str(year), value] for name, year, value in columns]
