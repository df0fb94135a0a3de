"""The pieces with no server behind them: tags, log following, row parsing, the SDK's edges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from kubeserve import Client, KubeServeAPIError
from kubeserve.cli import logs as logs_module
from kubeserve.cli.config import config_dir
from kubeserve.cli.logs import new_lines
from kubeserve.cli.predict import parse_csv, parse_json
from kubeserve.cli.push import next_tag
from kubeserve.cli.rollout import curl_line, sample_body
from kubeserve.client import KubeServeConnectionError


def test_next_tag_follows_the_highest_vn() -> None:
    versions: Any = [{"version_tag": t} for t in ("v1", "v3", "best", "v2")]
    assert next_tag(versions) == "v4"
    assert next_tag([]) == "v1"


def test_new_lines_diffs_each_replica_window() -> None:
    seen = ["[r1] a", "[r1] b", "[r2] x"]
    current = ["[r1] b", "[r1] c", "[r2] x", "[r2] y", "[r3] new"]
    assert new_lines(seen, current) == ["[r1] c", "[r2] y", "[r3] new"]
    assert new_lines(current, current) == []
    assert new_lines(["plain 1", "plain 2"], ["plain 2", "plain 3"]) == ["plain 3"]


class FollowedServer:
    """What `logs --follow` polls: replica windows, and requests after a cursor."""

    def __init__(self) -> None:
        self.polls = 0
        self.sinces: list[int | None] = []

    def logs(self, deployment_id: int, tail: int) -> list[str]:
        return ["[r1] started"] + (["[r1] warm"] if self.polls else [])

    def request_logs(self, deployment_id: int, tail: int, since: int | None = None) -> dict[str, Any]:
        self.polls += 1
        self.sinces.append(since)
        if self.polls > 2:
            raise KeyboardInterrupt  # the user's Ctrl-C
        entry = {"cursor": 10 + self.polls, "status": 200, "path": "/predict"}
        return {"requests": [entry], "cursor": 10 + self.polls}


def test_follow_prints_new_replica_lines_and_requests_after_the_cursor(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server = FollowedServer()
    monkeypatch.setattr(logs_module.time, "sleep", lambda seconds: None)  # the poll period
    logs_module._follow(server, 1, ["[r1] started"], cursor=10)  # type: ignore[arg-type]
    printed = capsys.readouterr().out.splitlines()
    assert server.sinces == [10, 11, 12]  # each poll asks only for what is newer
    assert printed == ['{"status":200,"path":"/predict"}', "[r1] warm", '{"status":200,"path":"/predict"}']


def test_parse_json_accepts_rows_records_or_a_request_body() -> None:
    assert parse_json("[[1, 2]]", "--data") == [[1, 2]]
    assert parse_json('[{"a": 1}]', "--data") == [{"a": 1}]
    assert parse_json('{"data": [[1, 2]]}', "rows.json") == {"data": [[1, 2]]}
    with pytest.raises(Exception, match="must be rows"):
        parse_json("3", "--data")


def test_parse_csv_is_split_orientation_with_numbers() -> None:
    assert parse_csv("city,rooms,area\nparis,2,20.5\nnice,,3\n", "x.csv") == {
        "columns": ["city", "rooms", "area"],
        "data": [["paris", 2, 20.5], ["nice", None, 3]],
    }
    with pytest.raises(Exception, match="line 3: 1 values for 2 columns"):
        parse_csv("a,b\n1,2\n3\n", "x.csv")


def test_sample_body_in_the_format_the_model_needs() -> None:
    frame: Any = {
        "signature": {"sample_input": [["lyon", 0.0]], "columns": [{"name": "city"}, {"name": "x"}]}
    }
    assert sample_body(frame) == {"columns": ["city", "x"], "data": [["lyon", 0.0]]}
    assert sample_body(None) == {"data": [[0.0]]}


def test_curl_line_uses_the_sample_and_never_the_token() -> None:
    deployment: Any = {"url": "http://h:1/api/v1/predict/iris-x", "public": False}
    version: Any = {"signature": {"sample_input": [[0.0, 1.0]], "n_features_in": 2}}
    line = curl_line(Client("http://h:1"), deployment, sample_body(version))
    assert line == (
        "curl -s -X POST http://h:1/api/v1/predict/iris-x -H 'content-type: "
        "application/json' -H \"Authorization: Bearer $(kubeserve token --url "
        'http://h:1)" -d \'{"data": [[0.0, 1.0]]}\''
    )
    public: Any = {**deployment, "public": True}
    assert "Authorization" not in curl_line(Client(), public, {"data": [[1]]})
    no_sample: Any = {"signature": {"n_features_in": 3}}
    assert sample_body(no_sample) == {"data": [[0.0, 0.0, 0.0]]}


def test_config_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBESERVE_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir() == tmp_path / "xdg" / "kubeserve"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_dir() == tmp_path / ".config" / "kubeserve"
    monkeypatch.setenv("KUBESERVE_CONFIG_DIR", str(tmp_path / "explicit"))
    assert config_dir() == tmp_path / "explicit"


def test_upload_streams_with_progress_and_errors_carry_status(tmp_path: Path) -> None:
    model = tmp_path / "model.joblib"
    model.write_bytes(b"x" * 300_000)
    received: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/upload"):
            assert request.headers["authorization"] == "Bearer t"
            received.append(len(request.read()))
            return httpx.Response(200, json={"id": 1, "status": "Building"})
        return httpx.Response(
            422,
            json={"detail": [{"loc": ["body", "name"], "msg": "String should match pattern", "type": "x"}]},
        )

    client = Client("http://cp", token="t", transport=httpx.MockTransport(handler))
    progress: list[tuple[int, int]] = []
    assert client.upload(1, model, progress=lambda s, t: progress.append((s, t)))["status"] == "Building"
    assert received[0] > 300_000 and progress[-1] == (300_000, 300_000) and len(progress) > 2
    with pytest.raises(KubeServeAPIError) as error:
        client.create_model("Bad")
    assert error.value.status == 422
    assert str(error.value) == "name: String should match pattern (HTTP 422)"


def test_connection_errors_name_the_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = Client("http://10.0.0.1:8000/", transport=httpx.MockTransport(refuse))
    with pytest.raises(KubeServeConnectionError, match=r"cannot reach http://10.0.0.1:8000: is"):
        client.list_models()
    assert json.dumps(client.url) == '"http://10.0.0.1:8000"'
