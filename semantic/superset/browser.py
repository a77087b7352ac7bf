"""Looking at dashboards the way people do: Debian's chromium, headless, and the condition that says every
chart on a board has drawn. Shared by the browser tests and the dashboard benchmark."""

from __future__ import annotations

import shutil
from typing import Any

from reelhouse.config import Settings
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


def log_in(page: Any, settings: Settings) -> None:
    """Log the admin in through Superset's own login form, the way a person does (a Playwright page)."""
    from reelhouse.superset.service import admin_password

    page.goto(f"{settings.superset.url}/login/")
    page.fill("input[name='username'], #username", settings.superset.admin_user)
    page.fill("input[name='password'], #password", admin_password(settings))
    page.keyboard.press("Enter")
    page.wait_for_url("**/superset/welcome/**", timeout=60_000)


def open_logged_in(page: Any, url: str, settings: Settings) -> str | None:
    """Open a Superset page as the logged-in admin. When Superset answers with its login page instead (it no
    longer knows the browser's session), log in again and open the page once more; says why when it had to."""
    page.goto(url)
    if "/login/" not in page.url:
        return None
    cookies = sorted(cookie["name"] for cookie in page.context.cookies())
    log_in(page, settings)
    page.goto(url)
    if "/login/" in page.url:
        raise ReelhouseError(f"Superset keeps sending the logged-in admin to its login page for {url}")
    return f"Superset sent the admin to its login page for {url} (browser cookies: {cookies}); logged in again"
