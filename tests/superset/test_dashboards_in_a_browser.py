"""Every dashboard in headless chromium (Debian's): logged in as the admin, each board renders all its
charts without an error panel. Screenshots land in test-artifacts/superset/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from semantic.superset.assets import load_dashboards

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "superset"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-dev-shm-usage"]
ERROR_SELECTORS = ".ant-alert-error, [data-test='error-message'], .alert-danger"


@pytest.fixture(scope="module")
def admin_page(superset, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    from reelhouse.superset.service import admin_password

    browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser_path, "Debian's chromium is needed (make test installs it: apt-get install chromium)"
    settings = superset["settings"]
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=browser_path, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1600, "height": 1200})
        page = context.new_page()
        page.goto(f"{settings.superset.url}/login/")
        page.fill("input[name='username'], #username", settings.superset.admin_user)
        page.fill("input[name='password'], #password", admin_password(settings))
        page.keyboard.press("Enter")
        page.wait_for_url("**/superset/welcome/**", timeout=60_000)
        yield page
        context.close()


@pytest.mark.parametrize("dashboard", load_dashboards(), ids=lambda spec: spec.slug)
def test_dashboard_renders_every_chart(admin_page, superset, dashboard):
    url = f"{superset['settings'].superset.url}/superset/dashboard/{dashboard.slug}/"
    admin_page.goto(url)
    charts = admin_page.locator("[data-test='chart-grid-component']")
    charts.first.wait_for(timeout=60_000)
    # Every chart holder gets its rendered visualisation (svg/canvas, or a table) or an error.
    admin_page.wait_for_function(
        """([count]) => {
            const holders = document.querySelectorAll("[data-test='chart-grid-component']");
            return holders.length >= count && [...holders].every(holder =>
                holder.querySelector("canvas, svg, table, .header-line, .superset-legacy-chart-big-number")
                || holder.querySelector(".ant-alert-error, [data-test='error-message']"));
        }""", arg=[len(dashboard.charts)], timeout=90_000)
    admin_page.wait_for_load_state("networkidle")
    admin_page.wait_for_timeout(3000)  # ECharts draws lines left to right: let the animation finish
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    admin_page.screenshot(path=str(ARTIFACTS / f"{dashboard.slug}.png"), full_page=True)
    assert charts.count() == len(dashboard.charts)
    errors = admin_page.locator(ERROR_SELECTORS)
    assert errors.count() == 0, errors.first.inner_text()
    assert admin_page.locator(".loading").count() == 0
