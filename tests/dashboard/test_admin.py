"""The admin's Users page in Chromium: only for admins (the operator grants it), quotas set,
refused with the server's reason, and reset; scanned by axe-core and photographed."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.browser import Watch, shoot
from tests.fixtures.control_plane import Api, ControlPlane

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("user-email")).to_have_text(email)


def test_an_admin_sets_and_resets_a_users_quota(dashboard_plane: ControlPlane, browser: Any) -> None:
    base = dashboard_plane.url
    Api.register(base, "ada@example.com")
    Api.register(base, "boss@example.com")
    granted = dashboard_plane.kubeserve("admin", "grant", "boss@example.com")
    assert granted.returncode == 0, granted.stderr
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page)

    # a user sees no Users page
    log_in(page, base, "ada@example.com")
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    page.goto(f"{base}/admin/")
    expect(page.get_by_text("Admins only")).to_be_visible()
    page.click("text=Log out")
    page.wait_for_url("**/login/**")

    log_in(page, base, "boss@example.com")
    page.click("nav >> text=Users")
    rows = page.get_by_test_id("user-row")
    expect(rows).to_have_count(2)
    ada = rows.filter(has_text="ada@example.com")
    expect(ada).to_contain_text("4Gi")
    expect(ada).to_contain_text("0 replicas, 0 deployments")
    page.get_by_role("button", name="Edit the quota of ada@example.com").click()
    form = page.locator("section[aria-labelledby=quota-form-title]")
    page.fill("#quota-cpu", "lots")
    page.click("text=Save quota")
    expect(form.locator("[role=alert]")).to_contain_text("not a CPU quantity")
    page.fill("#quota-pods", "nine")
    page.click("text=Save quota")
    expect(form.locator("[role=alert]")).to_contain_text("a whole number")
    page.fill("#quota-cpu", "4")
    page.fill("#quota-memory", "8Gi")
    page.fill("#quota-pods", "9")
    page.click("text=Save quota")
    expect(form).to_have_count(0)
    expect(ada).to_contain_text("4*")
    expect(ada).to_contain_text("8Gi*")
    expect(ada).to_contain_text("9*")
    shoot(page, "admin-users")
    assert Api.register(base, "cy@example.com")  # a new user appears with the default quota
    page.reload()
    expect(rows).to_have_count(3)

    page.get_by_role("button", name="Edit the quota of ada@example.com").click()
    shoot(page, "admin-quota")
    page.click("text=Back to defaults")
    expect(ada).to_contain_text("4Gi")
    expect(ada).not_to_contain_text("*")
    assert watch.csp == [], watch.csp
    assert watch.errors == [], watch.errors
    context.close()
