"""The report page: self-contained, and it renders in headless Chromium with no console errors."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from train.commands import events as cmd

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("report")
    out = d / "report.html"
    assert cmd.main([str(ROOT / "data" / "seed.jsonl"), "--out", str(d / "events.jsonl"), "--report", str(out)]) == 0
    return out


def test_the_page_is_self_contained(page):
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html) and not re.search(r"<link[^>]+href=", html)
    assert "Plotly" in html and html.count("plotly-graph-div") >= 4
    summary = json.loads(re.search(r'<script type="application/json" id="summary">(.*?)</script>', html).group(1))
    assert summary == {"documents": 5, "events": 117, "reports": 117}
    assert 'href="#s0"' in html and 'id="s0"' in html  # the table links each event to its sentence


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium; .ci/run does)")
def test_the_page_renders_in_chromium_with_no_console_errors(page):
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                           args=FLAGS)
            try:
                tab = browser.new_page()
                tab.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
                tab.on("pageerror", lambda e: errors.append(f"page error: {e}"))
                tab.on("request", lambda r: errors.append(f"request: {r.url}")
                       if not r.url.startswith(("file:", "data:", "blob:", "about:")) else None)
                tab.goto(page.as_uri(), wait_until="load")
                tab.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length >= 4",
                                      timeout=30_000)
                charts = tab.evaluate("document.querySelectorAll('.plotly-graph-div').length")
                rows = tab.evaluate("document.querySelectorAll('tbody tr').length")
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert not errors, errors
    assert charts == 4 and rows == 117
