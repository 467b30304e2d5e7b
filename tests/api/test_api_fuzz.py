"""Every operation of the local API, fuzzed from its own OpenAPI document: bad input is a 4xx
with ``{"error": {"code", "message"}}``, never a 5xx and never an error of another shape.

Schemathesis reads ``/openapi.json`` of a kiosk served by real uvicorn (``ApiServer``) over a
real reference host and the virtual printer, and sends each operation valid requests and
malformed ones: missing, oversized and wrong-typed fields, path and query parameters. Valid
requests may succeed (a sale prints a slip); the property is only "no 5xx, and an error is our
JSON". Endpoints other areas add later are covered because the operations come from the
document. Examples are bounded and derandomized, so a run is the same run every time.

``GET /events`` (server-sent events) never ends while the kiosk runs, so it is left out of the
generated calls; its token check and its 4xx are tested below with bounded reads. The demo's
fake swipe is fuzzed on a kiosk started in demo mode, so its real code runs; outside the demo
it must refuse with ``not_demo``, tested separately.

The cases come from schemathesis' per-operation Hypothesis strategies (``as_strategy``, valid
and malformed) run under our own ``@given``: its pytest integration needs the document either
at import time (before any kiosk runs) or through ``from_fixture``, which does not run on the
pytest this project uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from helpers.kiosk import Counter, start_counter, stop_counter
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from terminal.api import ApiServer

#: Operations whose calls never end by themselves (see the module's docstring).
STREAMING = ("/api/v1/events",)
#: Examples per operation and mode (valid / malformed): enough to hit each field's bounds and
#: types a few times, small enough for CI (the whole file runs in well under a minute).
MAX_EXAMPLES = 30
HTTP_TIMEOUT = 30.0


@dataclass
class Served:
    counter: Counter
    api: ApiServer

    @property
    def url(self) -> str:
        return self.api.url

    @property
    def token(self) -> str:
        return self.api.token


def _serve(folder: Path, *, demo: bool) -> Served:
    counter = start_counter(folder, "si")
    kiosk = counter.open()
    kiosk.start_devices(demo=demo)
    api = ApiServer(kiosk, port=0).start()
    return Served(counter, api)


def _stop(served: Served) -> None:
    kiosk = served.counter.kiosk
    if kiosk is not None:
        kiosk.devices.stop()  # ends event streams, which the API waits for
    served.api.stop()
    stop_counter(served.counter)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    s = _serve(tmp_path_factory.mktemp("fuzz"), demo=True)
    yield s
    _stop(s)


@pytest.fixture(scope="module")
def api_schema(served: Served) -> Any:
    # the document needs the token too ([api] docs = "token", the default)
    return schemathesis.openapi.from_url(
        f"{served.url}/openapi.json",
        timeout=HTTP_TIMEOUT,
        headers={"Authorization": f"Bearer {served.token}"},
    )


def assert_error_shape(response: Any) -> None:
    """A 4xx whose body is exactly ``{"error": {"code": str, "message": str}}``."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    content_type = response.headers.get("content-type", "")
    if isinstance(content_type, list):  # schemathesis' Response: lowercase keys, list values
        content_type = content_type[0] if content_type else ""
    assert content_type.startswith("application/json"), (response.headers, response.text)
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict) and {"code", "message"} <= set(error), body
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str) and error["message"], body


def _with_token(case: Any, value: str | None) -> None:
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    if value is not None:
        headers["Authorization"] = value
    case.headers = headers


def _operations(api_schema: Any) -> list[Any]:
    """Every operation of the document under ``/api/``, except the never-ending stream."""
    operations = []
    for result in api_schema.get_all_operations():
        operation = result.ok()  # a broken document fails here, naming the operation
        if operation.path.startswith("/api/") and operation.path not in STREAMING:
            operations.append(operation)
    assert operations, "the OpenAPI document lists no API operations"
    return operations


def _takes_input(api_schema: Any, operation: Any) -> bool:
    """Whether the operation has parameters or a body (else nothing can be malformed)."""
    raw = api_schema.raw_schema["paths"][operation.path][operation.method.lower()]
    return bool(raw.get("parameters") or raw.get("requestBody"))


def _fuzz(
    api_schema: Any,
    mode: GenerationMode,
    check: Callable[[Any], None],
    *,
    examples: int = MAX_EXAMPLES,
) -> None:
    """Run ``check(case)`` on up to ``examples`` cases of each operation; report all failures."""
    failures: list[str] = []
    for operation in _operations(api_schema):
        if mode.is_negative and not _takes_input(api_schema, operation):
            continue  # no input to break; its positive run covers it

        @settings(
            max_examples=examples,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],  # no shrinking: the first case is enough
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            check(case)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then fail once
            failures.append(f"{operation.label}: {type(exc).__name__}: {exc}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_bad_input_with_a_json_4xx(
    api_schema: Any, served: Served, mode: GenerationMode
) -> None:
    def check(case: Any) -> None:
        _with_token(case, f"Bearer {served.token}")
        response = case.call(timeout=HTTP_TIMEOUT)
        assert response.status_code < 500, (case.as_curl_command(), response.text)
        if response.status_code >= 400:
            assert_error_shape(response)

    _fuzz(api_schema, mode, check)


def test_every_operation_refuses_a_missing_or_wrong_token(api_schema: Any, served: Served) -> None:
    wrong = (None, "Bearer not-the-token", served.token, f"Basic {served.token}", "Bearer é")

    def check(case: Any) -> None:
        for token in wrong:
            _with_token(case, token)
            response = case.call(timeout=HTTP_TIMEOUT)
            assert response.status_code == 401, (token, case.as_curl_command(), response.text)
            assert_error_shape(response)
            assert response.json()["error"]["code"] == "unauthorised"

    # The token is checked before anything else, so a few requests per operation say it all.
    _fuzz(api_schema, GenerationMode.POSITIVE, check, examples=5)


# -- what the generated calls leave out -----------------------------------------------------------


def test_the_document_lists_the_operations_the_fuzzing_covers(api_schema: Any) -> None:
    paths = set(api_schema.raw_schema["paths"])
    for path in (
        "/api/v1/status",
        "/api/v1/sales",
        "/api/v1/quote",
        "/api/v1/stornos",
        "/api/v1/devices/fake-swipe",
        "/api/v1/events",
    ):
        assert path in paths, path


def test_the_event_stream_needs_the_token_and_refuses_bad_input(served: Served) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer é"}):
        response = requests.get(f"{served.url}/api/v1/events", headers=headers, timeout=5)
        assert response.status_code == 401
        assert_error_shape(response)
    wrong_method = requests.post(
        f"{served.url}/api/v1/events",
        headers={"Authorization": f"Bearer {served.token}"},
        timeout=5,
    )
    assert wrong_method.status_code == 405
    assert_error_shape(wrong_method)
    # With the token it streams (bounded read: the first event is "ready")
    with requests.get(
        f"{served.url}/api/v1/events",
        headers={"Authorization": f"Bearer {served.token}"},
        params={"unknown": "x" * 10_000},
        stream=True,
        timeout=(2.0, 5.0),
    ) as stream:
        assert stream.status_code == 200
        first = next(stream.iter_lines(decode_unicode=True))
        assert first.startswith("retry:")


def test_unknown_paths_and_methods_are_json_4xx(served: Served) -> None:
    auth = {"Authorization": f"Bearer {served.token}"}
    for method, path in (
        ("GET", "/api/v1/no-such-thing"),
        ("DELETE", "/api/v1/sales"),
        ("GET", "/api/v1/transactions/123"),
        ("GET", "/api/v1/transactions/" + "9" * 14),
    ):
        response = requests.request(method, served.url + path, headers=auth, timeout=10)
        assert_error_shape(response)


def test_a_body_that_is_not_json_is_a_json_4xx(served: Served) -> None:
    auth = {"Authorization": f"Bearer {served.token}"}
    for data, content_type in (
        (b"{not json", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"product=card-topup", "application/x-www-form-urlencoded"),
        (b"[]", "application/json"),
        (b"x" * 2_000_000, "application/json"),
    ):
        response = requests.post(
            f"{served.url}/api/v1/sales",
            data=data,
            headers={**auth, "Content-Type": content_type},
            timeout=10,
        )
        assert_error_shape(response)


def test_fake_swipe_outside_the_demo_is_not_demo(tmp_path: Path) -> None:
    s = _serve(tmp_path, demo=False)
    try:
        auth = {"Authorization": f"Bearer {s.token}"}
        ok = requests.post(
            f"{s.url}/api/v1/devices/fake-swipe",
            json={"pan": "4111111111111111"},
            headers=auth,
            timeout=10,
        )
        assert_error_shape(ok)
        assert ok.json()["error"]["code"] == "not_demo"
        bad = requests.post(
            f"{s.url}/api/v1/devices/fake-swipe", json={"pan": 4}, headers=auth, timeout=10
        )
        assert_error_shape(bad)
    finally:
        _stop(s)
