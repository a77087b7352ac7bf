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

    for _ in range(3):
        page.goto(f"{settings.superset.url}/login/")
        page.fill("input[name='username'], #username", settings.superset.admin_user)
        page.fill("input[name='password'], #password", admin_password(settings))
        page.keyboard.press("Enter")
        page.wait_for_url("**/superset/welcome/**", timeout=60_000)
        # The login page's own event beacon (POST /superset/log/) can leave after the form with the anonymous
        # session and come back with an anonymous session cookie that replaces the new one: the welcome page then
        # answers 401 and sends the browser back to /login/. Settle, then ask who we are; log in again if nobody.
        page.wait_for_load_state("networkidle")
        if page.request.get(f"{settings.superset.url}/api/v1/me/").status == 200:
            return
    raise ReelhouseError(f"logging in to Superset at {settings.superset.url} did not keep a session (3 tries)")


def open_logged_in(page: Any, url: str, settings: Settings) -> str | None:
    """Open a Superset page as the logged-in admin. When Superset answers with its login page instead (it no
    longer knows the browser's session), log in again and open the page once more; says why when it had to."""
    try:
        page.goto(url)
    except Exception as exc:  # playwright's Error: the page's own script sent it to /login/ meanwhile
        if "interrupted by another navigation" not in str(exc):
            raise
        page.wait_for_load_state("load")
    if "/login/" not in page.url:
        return None
    cookies = sorted(cookie["name"] for cookie in page.context.cookies())
    log_in(page, settings)
    page.goto(url)
    if "/login/" in page.url:
        raise ReelhouseError(f"Superset keeps sending the logged-in admin to its login page for {url}")
    return f"Superset sent the admin to its login page for {url} (browser cookies: {cookies}); logged in again"
