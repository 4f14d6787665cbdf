// Long tables (one row per local authority: 153 in England) sort by any column and show
// their first rows until the reader asks for all. Plain script, no library: reports open offline.
const PAGE_ROWS = 20;
const SORT_MIN_ROWS = 10;

// A cell's sort key: a number where the cell reads as one ("1,234", "45.2%", "£6,680", "-0.3", "<0.001"),
// otherwise its text. The disclosure symbols (c confidential, z not applicable, x unavailable, low
// rounds to zero) and blanks sort last either way, so a sort never lines withheld cells up by value.
function sortKey(text) {
  const trimmed = text.trim();
  if (/^(c|z|x|low|\[[cxz]\]|-|–|—|)$/i.test(trimmed)) return null;
  // "4.2 (3.1 to 5.3)": an estimate with its interval sorts by the estimate
  const numeric = trimmed.replace(/\s*\(.*\)$/, "").replace(/[,£%\s]/g, "").replace(/^[<>~≈]/, "");
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(numeric)) return Number(numeric);
  return trimmed.toLowerCase();
}

function compareKeys(a, b, descending) {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  const numbers = typeof a === "number" && typeof b === "number";
  const order = numbers ? a - b : String(a).localeCompare(String(b), "en", { numeric: true });
  return descending ? -order : order;
}

// A row label spanning several rows (pandas prints a multi-level index that way) is copied into
// each row it spans, so every row can move on its own when the table is sorted or paged.
function unspanRows(body) {
  const rows = [...body.rows];
  rows.forEach((row, r) => {
    [...row.cells].forEach((cell) => {
      const span = cell.rowSpan;
      if (span <= 1) return;
      const position = [...row.cells].indexOf(cell);
      cell.rowSpan = 1;
      for (let below = r + 1; below < Math.min(r + span, rows.length); below++) {
        const copy = cell.cloneNode(true);
        rows[below].insertBefore(copy, rows[below].cells[position] || null);
      }
    });
  });
}

function singleBody(table) {
  return table.tBodies.length === 1 ? table.tBodies[0] : null;
}

function showRows(table, all) {
  [...table.tBodies[0].rows].forEach((row, i) => {
    row.hidden = !all && i >= PAGE_ROWS;
  });
}

function addPaging(table) {
  const total = table.tBodies[0].rows.length;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "table-paging";
  let all = false;
  const label = () => {
    button.textContent = all ? `Show the first ${PAGE_ROWS} rows` : `Show all ${total} rows`;
    button.setAttribute("aria-expanded", String(all));
  };
  button.addEventListener("click", () => {
    all = !all;
    showRows(table, all);
    label();
  });
  label();
  showRows(table, false);
  (table.closest(".table-scroll") || table).after(button);
  table.dataset.paged = "true";
  return () => all;
}

// The header cell that names each column: pandas puts column names in the first header row and
// index names in the last, so the lowest non-empty cell of each column is its label.
function columnLabels(head) {
  const labels = [];
  [...head.rows].forEach((row) => {
    let column = 0;
    [...row.cells].forEach((cell) => {
      if (cell.colSpan === 1 && cell.textContent.trim()) labels[column] = cell;
      column += cell.colSpan;
    });
  });
  return labels;
}

function addSorting(table, showingAll) {
  const head = table.tHead;
  if (!head || !head.rows.length) return;
  const labels = columnLabels(head);
  labels.forEach((cell, column) => {
    if (!cell) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.title = "Sort by this column";
    while (cell.firstChild) button.appendChild(cell.firstChild);
    cell.appendChild(button);
    button.addEventListener("click", () => {
      const descending = cell.getAttribute("aria-sort") === "ascending";
      labels.forEach((other) => other && other.removeAttribute("aria-sort"));
      cell.setAttribute("aria-sort", descending ? "descending" : "ascending");
      const body = table.tBodies[0];
      const rows = [...body.rows].map((row, i) => ({ row, i, key: sortKey(row.cells[column]?.textContent ?? "") }));
      // ties keep their order, so sorting by one column then another reads as expected
      rows.sort((a, b) => compareKeys(a.key, b.key, descending) || a.i - b.i);
      rows.forEach(({ row }) => body.appendChild(row));
      if (table.dataset.paged) showRows(table, showingAll());
    });
  });
  table.dataset.sortable = "true";
}

function enhanceTables(root) {
  root.querySelectorAll("main table").forEach((table) => {
    const body = singleBody(table);
    if (!body) return;
    unspanRows(body);
    const rows = body.rows.length;
    const showingAll = rows > PAGE_ROWS ? addPaging(table) : () => true;
    if (rows >= SORT_MIN_ROWS) addSorting(table, showingAll);
  });
}

if (typeof document !== "undefined") {
  document.addEventListener("DOMContentLoaded", () => enhanceTables(document));
}
if (typeof module !== "undefined") module.exports = { sortKey, compareKeys, PAGE_ROWS, SORT_MIN_ROWS };
