"""Debian's Chromium driven by Playwright, with a watch on CSP violations and page errors, an
axe-core scan (from the dashboard's own node_modules, never a CDN) and screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
OUT = ROOT / "frontend" / "out"
SHOTS = ROOT / "docs" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WIDTHS = {"wide": 1280, "narrow": 390}
CSP_PROBLEM = re.compile(r"Content Security Policy|Refused to (execute|load|apply|connect)", re.IGNORECASE)


def require_build() -> None:
    """Nothing is skipped silently: missing pieces fail with what installs them."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `.ci/run` installs Debian's chromium (apt-get install chromium)")
    if not (OUT / "index.html").is_file() or not AXE.is_file():
        pytest.fail(
            "the dashboard is not built: run `make dashboard` "
            "(needs Node.js 20+ and npm; .ci/run installs them)"
        )


class Watch:
    """Console and page errors of one page; CSP violations are collected separately."""

    def __init__(self, page: Any) -> None:
        self.csp: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def _console(self, message: Any) -> None:
        if CSP_PROBLEM.search(message.text):
            self.csp.append(message.text)
        elif message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(message.text)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the current page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # evaluated through the DevTools protocol: not an inline script
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v =>
             ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def shoot(page: Any, name: str) -> None:
    """Screenshots of the page at both widths (docs/screenshots/{name}-{wide,narrow}.png), each
    checked by axe-core first."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        violations = axe_violations(page)
        assert not violations, f"{name} at {width}px: {violations}"
        overflow = page.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} is {overflow} px wide in a {width} px window"
        _small_png(page.screenshot(full_page=True), SHOTS / f"{name}-{label}.png")
    page.set_viewport_size({"width": WIDTHS["wide"], "height": 900})


def _small_png(png: bytes, path: Path) -> None:
    """A 128-colour palette PNG: a third of the size, no visible loss for flat UI colours."""
    import io

    from PIL import Image

    Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128).save(path, optimize=True)


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)


def browser_session() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    require_build()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()
