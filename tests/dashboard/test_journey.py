"""The whole journey in Debian's Chromium against a real control plane and real replicas:
sign up -> upload (progress seen) -> Ready -> deploy -> try it -> API key -> scale -> roll out
-> roll back -> another user sees nothing -> delete -> log out. Every page is scanned by axe-core
and photographed at 1280 and 390 px; no CSP violation may be logged along the way."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import joblib
import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.browser import Watch, shoot
from tests.fixtures.control_plane import ControlPlane

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"
ROW = [5.1, 3.5, 1.4, 0.2]
BUILD_TIMEOUT = 180_000  # ms: a build installs requirements in a sandbox
UPLOAD_BYTES_PER_SECOND = 32_000  # throttled, so the progress bar has time to move


@pytest.fixture(scope="module")
def forest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A RandomForest on iris (~100 KB): big enough for the progress bar to be seen moving."""
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    x, y = load_iris(return_X_y=True)
    path = tmp_path_factory.mktemp("forest") / "forest.joblib"
    joblib.dump(RandomForestClassifier(n_estimators=50, random_state=0).fit(x, y), path)
    return path


def frame_classifier(columns: list[str]) -> Any:
    """A LogisticRegression fitted on a DataFrame, so it knows its feature names."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    return LogisticRegression(max_iter=500).fit(pd.DataFrame(x, columns=columns), y)


def expected(model: Path) -> str:
    return json.dumps(joblib.load(model).predict(np.array([ROW])).tolist(), separators=(",", ":"))


def sign_up(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/signup/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Models", exact=True)).to_be_visible()


def drop_file(page: Page, zone: str, name: str, text: str) -> None:
    """A real drag-and-drop: a DataTransfer holding the file, dropped on the zone."""
    page.dispatch_event(
        f"[data-testid=drop-{zone}]",
        "drop",
        {
            "dataTransfer": page.evaluate_handle(
                "([name, text]) => {"
                " const dt = new DataTransfer(); dt.items.add(new File([text], name)); return dt; }",
                [name, text],
            )
        },
    )


def upload(
    page: Page, base: str, model: Path, requirements: str, name: str | None, model_id: int | None
) -> None:
    page.goto(f"{base}/upload/" + (f"?model={model_id}" if model_id else ""))
    if name:
        page.fill("#name", name)
    page.set_input_files("input[name=model_file]", str(model))
    if requirements:
        drop_file(page, "requirements_file", "requirements.txt", requirements)
        expect(page.get_by_text("requirements.txt ·")).to_be_visible()
    page.click("text=Upload and build")


def try_it(page: Page) -> str:
    page.fill("#tryit-rows", ", ".join(map(str, ROW)))
    page.click("button:has-text('Predict')")
    expect(page.get_by_test_id("latency")).to_contain_text("ms")
    return page.get_by_test_id("predictions").inner_text()


def run_snippets(snippets: dict[str, str], key: str, model: Path) -> None:
    """The page's snippets (curl, Python SDK, Triton and KServe clients) run as shown, with the key
    in $KUBESERVE_API_KEY, and answer what the model answers for the row they carry (the build's
    all-zero sample)."""
    env = {**os.environ, "KUBESERVE_API_KEY": key}
    want = joblib.load(model).predict(np.zeros((1, 4))).tolist()
    shell = subprocess.run(
        ["bash", "-c", snippets["curl"]], env=env, capture_output=True, text=True, timeout=60
    )
    assert json.loads(shell.stdout) == {"predictions": want}, shell.stderr
    for name in ("python", "triton", "kserve"):
        run = subprocess.run(
            [sys.executable, "-c", snippets[name]], env=env, capture_output=True, text=True, timeout=120
        )
        assert run.stdout.strip() == str(want), (name, run.stdout, run.stderr[-2000:])


def deployment_id(page: Page) -> int:
    return int(re.search(r"id=(\d+)", page.url).group(1))  # type: ignore[union-attr]


def test_journey(dashboard_plane: ControlPlane, browser: Any, forest: Path, shifted_model: Path) -> None:
    import sklearn

    base = dashboard_plane.url
    requirements = f"scikit-learn=={sklearn.__version__}\n"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page)

    # Sign up, with a clear error first; the session survives a reload.
    first = page.goto(f"{base}/")
    assert first is not None and "script-src 'self' 'sha256-" in first.headers["content-security-policy"]
    page.wait_for_url("**/login/**")
    shoot(page, "login")
    page.click("text=Create an account")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.fill("#email", "ada@example.com")
    page.fill("#password", "short")
    page.click("button[type=submit]")
    expect(page.locator("main [role=alert]")).to_contain_text("at least 8 characters")
    shoot(page, "signup")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_text("No models yet")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("user-email")).to_have_text("ada@example.com")
    shoot(page, "models-empty")
    assert all(c["httpOnly"] and c["sameSite"] == "Strict" for c in context.cookies())
    assert page.evaluate("() => document.cookie") == ""  # no script can read the session

    # Upload with the upload throttled: the progress bar is seen between 0 and 100 %.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": UPLOAD_BYTES_PER_SECOND,
        },
    )
    upload(page, base, forest, requirements, "iris", None)
    page.wait_for_function(
        "() => { const v = +document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow');"
        " return v > 0 && v < 100; }"
    )
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    expect(page.locator("[data-testid=build-outcome] [data-status=Ready]")).to_be_visible(
        timeout=BUILD_TIMEOUT
    )
    shoot(page, "upload")

    # The version page: checksum, size, features, classes, library versions.
    page.click("text=See the version’s signature")
    sha = hashlib.sha256(forest.read_bytes()).hexdigest()
    expect(page.get_by_test_id("sha256")).to_have_text(sha)
    expect(page.get_by_test_id("features").locator("tr")).to_have_count(4)
    expect(page.get_by_text("scikit-learn " + sklearn.__version__)).to_be_visible()
    shoot(page, "version")

    # Deploy; the try-it form answers what the model itself answers.
    page.click("text=Deploy this version")
    page.wait_for_url("**/deployment/?id=*")
    dep = deployment_id(page)
    expect(page.locator("h1 [data-status=Running]")).to_be_visible(timeout=60_000)
    assert try_it(page) == expected(forest)
    expect(page.get_by_test_id("live-url")).to_contain_text(f"{base}/api/v1/predict/iris-")
    url = page.get_by_test_id("live-url").inner_text()
    expect(page.get_by_test_id("snippet-curl")).to_contain_text(url)
    snippets = {"curl": page.get_by_test_id("snippet-curl").inner_text()}
    for tab, name in (("Python SDK", "python"), ("Triton client", "triton"), ("KServe client", "kserve")):
        page.click(f"button:has-text('{tab}')")
        snippets[name] = page.get_by_test_id(f"snippet-{name}").inner_text()
    expect(page.get_by_test_id("logs")).not_to_be_empty()
    expect(page.get_by_test_id("recent-requests").locator("tr")).not_to_have_count(0)
    expect(page.get_by_test_id("stats-summary")).not_to_contain_text("Last 5 min: 0 requests", timeout=30_000)
    expect(page.get_by_test_id("stats-charts").locator("figure")).to_have_count(4)
    shoot(page, "deployment")

    # API keys: created and shown once, it predicts; revoked, it stops.
    page.click("nav >> text=API keys")
    expect(page.get_by_text("No API keys")).to_be_visible()
    page.fill("#key-name", "billing")
    page.click("text=Create key")
    key = page.get_by_test_id("new-key-value").inner_text()
    assert key.startswith("ks_")
    answer = httpx.post(url, json={"data": [ROW]}, headers={"X-API-Key": key}, timeout=30)
    assert answer.status_code == 200, answer.text
    run_snippets(snippets, key, forest)
    page.click("text=I have saved it")
    expect(page.get_by_test_id("new-key")).to_have_count(0)
    expect(page.get_by_test_id("key-row")).to_have_count(1)
    expect(page.get_by_test_id("key-row").locator("td").nth(3)).not_to_have_text("never", timeout=15_000)
    shoot(page, "keys")
    page.click("text=Revoke")
    page.click("dialog >> text=Revoke key")
    expect(page.get_by_text("No API keys")).to_be_visible()
    assert httpx.post(url, json={"data": [ROW]}, headers={"X-API-Key": key}, timeout=30).status_code == 401

    # Scale to two replicas.
    page.goto(f"{base}/deployment/?id={dep}")
    page.fill("#scale-replicas", "2")
    page.click("form[aria-label=Scaling] >> text=Apply")
    expect(page.get_by_test_id("replicas")).to_have_text("2/2 replicas ready", timeout=60_000)

    # A second version rolls out, then rolls back: each time the form answers as that model does.
    model_id = int(page.locator("a:has-text('Version details')").get_attribute("href").split("=")[1])  # type: ignore[union-attr]
    page.goto(f"{base}/version/?id={model_id}")
    model_link = page.locator("main a").first.get_attribute("href")
    upload(page, base, shifted_model, requirements, None, int(model_link.split("=")[1]))  # type: ignore[union-attr]
    expect(page.locator("[data-testid=build-outcome] [data-status=Ready]")).to_be_visible(
        timeout=BUILD_TIMEOUT
    )
    page.goto(f"{base}/deployment/?id={dep}")
    page.select_option("#rollout-version", label="v2")
    page.click("button:has-text('Roll out')")
    newest = page.get_by_test_id("releases").locator("tr").first
    expect(newest).to_contain_text("v2")
    expect(newest.locator("[data-status=Active]")).to_be_visible(timeout=60_000)
    assert try_it(page) == expected(shifted_model)
    page.click("button:has-text('Roll back')")
    expect(newest).to_contain_text("rollback")
    expect(newest.locator("[data-status=Active]")).to_be_visible(timeout=60_000)
    expect(page.locator("h1")).to_contain_text("v1")
    assert try_it(page) == expected(forest)

    page.goto(f"{base}/model/?id={int(model_link.split('=')[1])}")  # type: ignore[union-attr]
    expect(page.get_by_test_id("version-row")).to_have_count(2)
    shoot(page, "model")
    page.goto(f"{base}/")
    expect(page.get_by_test_id("model-card")).to_have_count(1)
    shoot(page, "models")
    page.click("nav >> text=Deployments")
    expect(page.get_by_test_id("deployment-card")).to_have_count(1)
    shoot(page, "deployments")

    # Another user sees none of it, not even by address.
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    stranger = other.new_page()
    sign_up(stranger, base, "eve@example.com")
    expect(stranger.get_by_text("No models yet")).to_be_visible()
    stranger.goto(f"{base}/deployment/?id={dep}")
    expect(stranger.locator("main [role=alert]")).to_contain_text("not found")
    stranger.goto(f"{base}/deployments/")
    expect(stranger.get_by_text("Nothing deployed yet")).to_be_visible()
    other.close()

    # Delete with confirmation: the URL stops answering.
    page.goto(f"{base}/deployment/?id={dep}")
    page.click("text=Delete deployment")
    page.click("dialog >> text=Delete deployment")
    page.wait_for_url("**/deployments/")
    expect(page.get_by_text("Nothing deployed yet")).to_be_visible()
    assert httpx.post(url, json={"data": [ROW]}, timeout=30).status_code == 404

    # Log out: the session is gone after a reload too.
    page.click("text=Log out")
    page.wait_for_url("**/login/**")
    page.goto(f"{base}/keys/")
    page.wait_for_url("**/login/**")
    expect(page.get_by_role("button", name="Log in")).to_be_enabled()
    page.fill("#email", "ada@example.com")
    page.fill("#password", "not my password")
    page.click("button[type=submit]")
    expect(page.locator("main [role=alert]")).to_have_text("incorrect email or password")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/keys/")  # back where the user was going
    expect(page.get_by_text("No API keys")).to_be_visible()
    assert watch.csp == [], watch.csp
    assert watch.errors == [], watch.errors
    context.close()


def test_refused_files_and_a_failed_build(
    dashboard_plane: ControlPlane, browser: Any, tmp_path: Path
) -> None:
    """Files refused before sending (type, size) and by the server, then a build that fails with
    its reason, on the upload page and in the hub; signed up with the keyboard alone."""
    from tests.dashboard.conftest import MAX_MODEL_MB

    base = dashboard_plane.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{base}/signup/?next=/%5Cexample.com/")  # `next` may only name a page of this site
    expect(page.get_by_role("button", name="Sign up")).to_be_enabled()
    page.keyboard.press("Tab")
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type("bob@example.com")
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_text("No models yet")).to_be_visible()
    assert page.url == f"{base}/"

    page.goto(f"{base}/upload/")
    notes, big, broken = tmp_path / "notes.txt", tmp_path / "big.joblib", tmp_path / "broken.joblib"
    notes.write_text("not a model")
    big.write_bytes(b"\0" * (MAX_MODEL_MB + 1) * 1024 * 1024)
    joblib.dump({"not": "a model"}, broken)
    page.set_input_files("input[name=model_file]", str(notes))
    expect(page.get_by_test_id("refused-model_file")).to_have_text(
        "notes.txt is not a .joblib, .pkl, .pickle file."
    )
    page.set_input_files("input[name=model_file]", str(big))
    expect(page.get_by_test_id("refused-model_file")).to_have_text(
        f"big.joblib is {MAX_MODEL_MB + 1}.0 MB; the limit is {MAX_MODEL_MB}.0 MB."
    )
    page.click("text=Upload and build")
    expect(page.locator("main [role=alert]").last).to_have_text("Choose a model file to upload.")
    page.set_input_files("input[name=code_file]", str(notes))
    expect(page.get_by_test_id("refused-code_file")).to_contain_text("notes.txt is not a .py, ")

    page.set_input_files("input[name=model_file]", str(broken))
    page.fill("#name", "Not A Slug")
    page.click("text=Upload and build")
    expect(page.locator("main [role=alert]").last).to_contain_text("name: should match pattern")
    page.fill("#name", "broken")
    page.click("text=Upload and build")
    reason = page.get_by_test_id("build-error")
    expect(reason).to_contain_text("predict", timeout=BUILD_TIMEOUT)
    why = reason.inner_text()
    shoot(page, "upload-failed")
    page.goto(f"{base}/")
    expect(page.locator("[data-testid=model-card] [data-status=Failed]")).to_be_visible()
    expect(page.get_by_test_id("failure-reason")).to_have_text(why)

    # A DataFrame model: its try-it form has one field per named feature.
    frame_model, columns = tmp_path / "frame.joblib", ["sepal_len", "sepal_wid", "petal_len", "petal_wid"]
    frame_estimator = frame_classifier(columns)
    joblib.dump(frame_estimator, frame_model)
    upload(page, base, frame_model, "", "flowers", None)
    expect(page.locator("[data-testid=build-outcome] [data-status=Ready]")).to_be_visible(
        timeout=BUILD_TIMEOUT
    )
    page.click("text=Deploy now")
    expect(page.locator("h1 [data-status=Running]")).to_be_visible(timeout=60_000)
    for i, (column, value) in enumerate(zip(columns, ROW, strict=True)):
        expect(page.get_by_label(column, exact=True)).to_have_attribute("id", f"tryit-f{i}")
        page.fill(f"#tryit-f{i}", str(value))
    page.click("button:has-text('Predict')")
    want = frame_estimator.predict(pd.DataFrame([ROW], columns=columns)).tolist()
    expect(page.get_by_test_id("predictions")).to_have_text(json.dumps(want, separators=(",", ":")))
    expect(page.get_by_test_id("snippet-curl")).to_contain_text('"sepal_len":0')
    assert watch.csp == [] and watch.errors == [], (watch.csp, watch.errors)
    context.close()
