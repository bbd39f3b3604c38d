"""PDF from our own print pages, in headless Chromium (Debian's, never a downloaded browser).

Playwright drives the system Chromium through ``executable_path`` (ECOSYSTEM.md §1.13); the page is
self-contained (inline CSS and SVG), so nothing is fetched. Playwright is imported only here and
only when a PDF is made: the service and the site do not need it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Flags for a closed network and a container without a user namespace.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class ChromiumMissingError(RuntimeError):
    """No Chromium (or no Playwright) to print with."""


def find_chromium(path: Path | None = None) -> Path:
    """Return the Chromium to print with, or raise ChromiumMissingError saying how to get one."""
    candidates = [path] if path is not None else [CHROMIUM]
    if path is None and (found := shutil.which("chromium")):
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return candidate
    raise ChromiumMissingError(
        "printing needs Chromium: apt-get install -y chromium (or give its path with --chromium)"
    )


def html_to_pdf(html: str, *, chromium: Path | None = None) -> bytes:
    """Print an HTML page to PDF; the page's CSS ``@page`` rule sets the paper size."""
    executable = find_chromium(chromium)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ChromiumMissingError(
            "printing needs Playwright: pip install 'wabp[print]' (it uses the system Chromium)"
        ) from None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.set_content(html, wait_until="load")
            pdf: bytes = page.pdf(print_background=True, prefer_css_page_size=True)
        finally:
            browser.close()
    return pdf
