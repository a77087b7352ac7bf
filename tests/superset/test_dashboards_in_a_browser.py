"""Every dashboard in headless chromium (Debian's): logged in as the admin, each board renders all its
charts without an error panel, and after the publish step's warm-up the first view of a board is served from
Superset's cache. Screenshots land in test-artifacts/superset/."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from semantic.superset.assets import load_dashboards
from semantic.superset.browser import (
    CHARTS_RENDERED,
    CHROMIUM_FLAGS,
    ERROR_SELECTORS,
    chromium_path,
    log_in,
    open_logged_in,
)

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "superset"


@pytest.fixture(scope="module")
def admin_page(superset, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    from semantic.superset import warm_caches

    assert warm_caches(superset["client"]).failed == {}  # what the pipeline's publish step does
    browser_path = chromium_path()
    settings = superset["settings"]
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=browser_path, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1600, "height": 1200})
        page = context.new_page()
        log_in(page, settings)
        page.chart_answers = []  # (slice id, served from cache) of every chart-data answer the board gets
        page.on("response", lambda response: _record_chart_answer(page.chart_answers, response))
        yield page
        context.close()


def _record_chart_answer(answers: list, response) -> None:
    request = response.request
    if request.method == "POST" and "/api/v1/chart/data" in response.url:
        slice_id = (request.post_data_json or {}).get("form_data", {}).get("slice_id")
        if slice_id is not None:  # native filters ask for their values without a slice
            answers.append((slice_id, response.json()["result"][0].get("is_cached")))


@pytest.mark.parametrize("dashboard", load_dashboards(), ids=lambda spec: spec.slug)
def test_dashboard_renders_every_chart(admin_page, superset, dashboard):
    url = f"{superset['settings'].superset.url}/superset/dashboard/{dashboard.slug}/"
    admin_page.chart_answers.clear()
    relogged = open_logged_in(admin_page, url, superset["settings"])
    if relogged:  # seen once in CI: not what this test is about, but worth knowing when it happens
        warnings.warn(relogged, stacklevel=1)
    charts = admin_page.locator("[data-test='chart-grid-component']")
    charts.first.wait_for(timeout=60_000)
    admin_page.wait_for_function(CHARTS_RENDERED, arg=[len(dashboard.charts)], timeout=90_000)
    admin_page.wait_for_load_state("networkidle")
    admin_page.wait_for_timeout(3000)  # ECharts draws lines left to right: let the animation finish
    # Superset may re-render the board once it has written its filter state into the URL: wait for it again.
    admin_page.wait_for_function(CHARTS_RENDERED, arg=[len(dashboard.charts)], timeout=90_000)
    chart_count, error_count = charts.count(), admin_page.locator(ERROR_SELECTORS).count()
    errors = admin_page.locator(ERROR_SELECTORS)
    assert error_count == 0, errors.first.inner_text()
    # Counted before the screenshot: a full-page capture resizes the viewport and Superset re-lays the grid out.
    assert chart_count == len(dashboard.charts)
    assert admin_page.locator(".loading").count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    admin_page.screenshot(path=str(ARTIFACTS / f"{dashboard.slug}.png"), full_page=True)
    # The first view after the warm-up waits for no query: every chart's answer came from the cache.
    assert len({slice_id for slice_id, _ in admin_page.chart_answers}) == len(dashboard.charts)
    assert [answer for answer in admin_page.chart_answers if answer[1] is not True] == []
