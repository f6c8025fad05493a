"""Check the lessons' widgets in a real JupyterLab, driven by headless Chromium.

The test suite checks the widgets' logic without a browser; this tool checks the
last mile by hand: JupyterLab renders each widget and it responds to input. It
copies the notebooks to a temporary folder (so JupyterLab's autosave never
touches the stored ones), starts JupyterLab from .venv, opens each lesson, runs
all cells, then moves the first slider or picks another entry of the first
dropdown and reports whether the widget redrew.

Not part of the set-up or of CI. It needs Chromium and Playwright, e.g. on
Debian: ``apt-get install chromium`` and, in any virtual environment,
``pip install playwright`` (the browser download Playwright offers is not
needed). Run it with that environment's Python:

    python tools/check_widgets_in_browser.py 01_queries_keys_values.ipynb

It prints one line per notebook and exits 1 if a widget is missing, wrote to
stderr or did not respond.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
DEFAULT_NOTEBOOKS = (
    "01_queries_keys_values.ipynb",
    "02_scaled_dot_product_attention.ipynb",
    "04_multiple_heads.ipynb",
    "08_decoder.ipynb",
)
SERVER_START_S = 8  # time JupyterLab needs to listen, on a 2-core machine
RUN_ALL_S = 25  # time for a lesson's cells to run in the browser's kernel
REDRAW_S = 4  # time for a widget's callback to redraw its output
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def check_notebook(page, port: int, name: str) -> tuple[bool, str]:
    """Run one lesson in the open page and poke its first widget."""
    page.goto(f"http://localhost:{port}/lab/tree/notebooks/{name}?reset")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    time.sleep(REDRAW_S)
    page.click(".jp-Notebook")
    page.click("text=Run >> nth=0")
    page.click("text=Run All Cells")
    time.sleep(RUN_ALL_S)

    stderr = page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
    sliders = page.locator(".widget-slider")
    dropdowns = page.locator(".widget-dropdown select")
    widget = page.locator(".widget-interact, .widget-vbox").first
    if stderr.count():
        return False, f"{stderr.count()} cell(s) wrote to stderr"
    if not (sliders.count() or dropdowns.count()):
        return False, "no widget rendered"

    widget.scroll_into_view_if_needed()
    before = widget.screenshot()
    if sliders.count():
        sliders.first.locator(".noUi-handle").first.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        control = "slider moved"
    else:
        options = dropdowns.first.locator("option").count()
        dropdowns.first.select_option(index=options - 1)
        control = "dropdown changed"
    time.sleep(REDRAW_S)
    redrew = widget.screenshot() != before
    return redrew, f"{control}, widget redrew: {redrew}"


def main(argv: list[str] | None = None) -> int:
    """Command line: check the named lessons (default: those with widgets)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", default=list(DEFAULT_NOTEBOOKS))
    parser.add_argument("--port", type=int, default=8911)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(ROOT / "notebooks", Path(folder) / "notebooks")
        server = subprocess.Popen(
            [
                str(VENV_PYTHON), "-m", "jupyterlab", "--no-browser",
                "--allow-root", f"--port={args.port}",
                f"--ServerApp.root_dir={folder}",
                "--IdentityProvider.token=", "--ServerApp.password=",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        failures = 0
        try:
            time.sleep(SERVER_START_S)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium, args=CHROMIUM_FLAGS
                )
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                for name in args.notebooks:
                    ok, detail = check_notebook(page, args.port, name)
                    failures += not ok
                    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
                browser.close()
        finally:
            server.terminate()
            server.wait()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
