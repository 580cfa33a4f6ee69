"""Schema-driven fuzzing: Schemathesis generates requests from the app's own OpenAPI
spec (valid and invalid ones) and sends them to the real app, in-process, with its
real lifespan (Postgres + RabbitMQ test setup). No request may end in a 5xx.

Below it, the inputs that were 500s before the API was hardened, pinned. The fuzzer
does not reach them (it sends strict JSON, valid UTF-8): they were found by hand.
"""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.main import create_app
from core.settings import Settings
from tests.api.conftest import job_count
from tests.helpers import amqp

pytestmark = pytest.mark.usefixtures("empty_queues")

# The spec comes straight from the app object (no I/O at import); conftest has
# already pointed the settings at the test database and queues.
APP = create_app(Settings())
schema = schemathesis.openapi.from_dict(APP.openapi())


@pytest.fixture(scope="module")
def app_lifespan(engine: AsyncEngine) -> Iterator[None]:
    """Schemathesis starts the app's lifespan (engine, publishers) on its own event
    loop thread at the first call, after `engine` has migrated the test database,
    and keeps it until shutdown_lifespans(). (Its lazy `from_fixture` loader would be
    the natural fit, but it breaks on pytest 9: `Function` has no `_nodeid`.)"""
    yield
    shutdown_lifespans()


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI stays stable
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.usefixtures("app_lifespan")
def test_no_request_is_a_server_error(case: Case[Any]) -> None:
    response = case.call(app=APP)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )


PRICE_ORDER = (
    b'{"backend": "celery", "task": "price_order", "payload": '
    b'{"items": [{"sku": "A"}], "prices": {"A": "1.00"}, "tax_rate": %s}}'
)
PRICE = (
    b'{"backend": "celery", "task": "price_order", "payload": '
    b'{"items": [{"sku": "A"}], "prices": {"A": %s}}}'
)
RENDER = b'{"backend": "celery", "task": "render_invoice", %s}'
DEEP = 5000

REJECTED: list[tuple[str, bytes, int]] = [
    # Decimals: non-finite values and absurd exponents, as strings and as JSON numbers.
    # Python's json accepts the non-standard NaN/Infinity literals (and 1e999 -> inf);
    # the 422 that echoed them back used to crash rendering them.
    *[
        (f"tax_rate {v.decode()}", PRICE_ORDER % v, 422)
        for v in (
            b'"NaN"',
            b'"Infinity"',
            b'"-Infinity"',
            b'"1e999"',
            b"NaN",
            b"Infinity",
            b"1e999",
        )
    ],
    *[(f"price {v.decode()}", PRICE % v, 422) for v in (b'"NaN"', b'"Infinity"', b'"1e999"')],
    *[(f"price {v.decode()}", PRICE % v, 422) for v in (b"NaN", b"-Infinity", b"1e999")],
    ("int field 1e400", RENDER % b'"payload": {"lines": 1e400}', 422),
    ("int field 10**4000", RENDER % b'"payload": {"rounds": 1%s}' % (b"0" * 4000), 422),
    # Lone surrogates: rejected by pydantic, but echoing them crashed the 422 (not UTF-8).
    ("lone surrogate in customer", RENDER % b'"payload": {"customer": "\\ud800"}', 422),
    ("lone surrogate in run_id", RENDER % b'"run_id": "\\udfff"', 422),
    ("lone surrogate as a key", RENDER % b'"\\ud800": 1', 422),
    # U+0000 passed validation and failed the JSONB insert.
    ("NUL in customer", RENDER % b'"payload": {"customer": "a\\u0000b"}', 422),
    ("NUL in run_id", RENDER % b'"run_id": "a\\u0000b"', 422),
    # Parser limits: Python's own (int digits, nesting) give FastAPI's 400.
    ("int of 5000 digits", RENDER % b'"payload": {"lines": %s}' % (b"9" * 5000), 400),
    ("nested too deep", RENDER % (b'"payload": ' + b"[" * DEEP + b"]" * DEEP), 400),
    ("deep but parseable", RENDER % (b'"x": ' + b"[" * 500 + b"]" * 500), 422),
    ("not UTF-8", RENDER % b'"payload": {"customer": "\xff\xfe"}', 400),
    ("unknown field", RENDER % b'"priority": 9', 422),
]


def strict_json(content: bytes) -> Any:
    """RFC 8259 JSON only: UTF-8, and no NaN/Infinity constants."""

    def constant(name: str) -> None:
        pytest.fail(f"non-standard JSON constant in the response: {name}")

    return json.loads(content.decode("utf-8"), parse_constant=constant)


@pytest.mark.parametrize(
    ("body", "status"), [(b, s) for _, b, s in REJECTED], ids=[n for n, _, _ in REJECTED]
)
async def test_former_server_errors_are_4xx_and_write_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, body: bytes, status: int
) -> None:
    before = await job_count(session)
    response = await client.post(
        "/jobs", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert strict_json(response.content)["detail"]  # says what is wrong
    assert await job_count(session) == before
    assert await amqp.depth(settings, settings.celery_queue) == 0


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b'{"backend": "celery", "task": "sales_report"}'),
        ("application/x-www-form-urlencoded", b"backend=celery&task=sales_report"),
        ("multipart/form-data; boundary=x", b"--x--\r\n"),
        ("application/json", b""),
        ("application/json", b"null"),
    ],
)
async def test_wrong_content_type_or_empty_body_is_422(
    client: httpx.AsyncClient, content_type: str, body: bytes
) -> None:
    response = await client.post("/jobs", content=body, headers={"content-type": content_type})
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("job_id", ["not-a-uuid", "%00", "%ff", "{}", "a" * 5000, "1" * 33])
async def test_bad_job_id_is_422(client: httpx.AsyncClient, job_id: str) -> None:
    response = await client.get(f"/jobs/{job_id}")
    assert response.status_code == 422, response.text
    detail: Any = response.json()["detail"]
    assert detail[0]["loc"] == ["path", "job_id"]
