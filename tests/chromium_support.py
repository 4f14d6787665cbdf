"""Headless Chromium (Debian's ``chromium``) on rendered pages, with the network disabled.

A page is measured from a copy with a small script appended: once the page has
loaded it writes what it found (page and table widths, resources requested,
images without alt text, load time) into the DOM, and ``--dump-dom`` hands the
DOM back.  Shared by tests/test_screenshots.py and benchmarks/report_load.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = shutil.which("chromium")
WIDTH = 1280
HEIGHT = 1800
# Every request goes to a closed local port and no name resolves: nothing can leave the machine.
OFFLINE = ["--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    *OFFLINE,
]

PROBE = """
<script>
addEventListener('load', () => {
  const width = document.documentElement.clientWidth;
  const tables = [...document.querySelectorAll('table')];
  const overflowing = tables.filter(t => {
    const box = (t.closest('.table-scroll') || t).getBoundingClientRect();
    return box.right > width + 1 || box.left < -1;
  });
  const timing = performance.getEntriesByType('navigation')[0];
  const probe = document.createElement('pre');
  probe.id = 'lac-probe';
  probe.textContent = JSON.stringify({
    width: width,
    scroll_width: document.documentElement.scrollWidth,
    tables: tables.length,
    overflowing: overflowing.map(t => (t.previousElementSibling || t).textContent.slice(0, 80)),
    resources: performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('data:')),
    images: document.images.length,
    missing_alt: [...document.images].filter(i => !(i.getAttribute('alt') || '').trim()).length,
    load_ms: timing ? timing.loadEventStart : null,
  });
  document.body.appendChild(probe);
});
</script>
"""
_PROBE_OUTPUT = re.compile(r'<pre id="lac-probe">(.*?)</pre>', flags=re.DOTALL)


def run(*args: str, timeout: int = 90) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, *args], capture_output=True, text=True, timeout=timeout)


def measure(page: Path, width: int = WIDTH) -> dict:
    """Load a copy of ``page`` (beside it, so relative links resolve the same) and return what the probe saw."""
    from html import unescape

    with tempfile.NamedTemporaryFile("w", suffix=".html", dir=page.parent, delete=False, encoding="utf-8") as copy:
        copy.write(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>", 1))
    try:
        result = run(f"--window-size={width},{HEIGHT}", "--dump-dom", Path(copy.name).as_uri())
    finally:
        Path(copy.name).unlink()
    found = _PROBE_OUTPUT.search(result.stdout)
    if not found:
        raise AssertionError(f"chromium gave no measurement for {page.name}: {result.stderr[-2000:]}")
    return json.loads(unescape(found.group(1)))


def screenshot(page: Path, out: Path, width: int = WIDTH, height: int = HEIGHT) -> Path:
    run(f"--window-size={width},{height}", f"--screenshot={out}", page.as_uri())
    return out
