"""Looking at dashboards the way people do: Debian's chromium, headless, and the condition that says every
chart on a board has drawn. Shared by the browser tests and the dashboard benchmark."""

from __future__ import annotations

import shutil

from reelhouse.errors import ReelhouseError

# Headless and quiet: no sandbox (containers, root), no GPU, no background downloads or updates.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-dev-shm-usage"]
ERROR_SELECTORS = ".ant-alert-error, [data-test='error-message'], .alert-danger"
# True (the page clock, ms) once every chart holder's own body has drawn (canvas/svg/table/big number) or shows
# an error, with no loading spinner left. Holder-level SVGs (the menu icon, the spinner) do not count.
CHARTS_RENDERED = """([count]) => {
    const holders = document.querySelectorAll("[data-test='chart-grid-component']");
    const done = holders.length >= count && [...holders].every(holder =>
        !holder.querySelector(".loading, [data-test='loading-indicator']") && (
        holder.querySelector("[data-test='slice-container'] :is(canvas, svg, table, .header-line, "
                             + ".superset-legacy-chart-big-number)")
        || holder.querySelector(".ant-alert-error, [data-test='error-message']")));
    return done ? performance.now() : false;
}"""


def chromium_path() -> str:
    """Debian's chromium (test tools cannot download browsers here)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise ReelhouseError("Debian's chromium is needed: apt-get install chromium (make test installs it)")
    return path
