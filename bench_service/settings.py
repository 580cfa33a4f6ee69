"""The benchmark's settings: the service's, plus the fault hooks the harness turns on (each
0 or unset unless a cell needs it). A subclass the service never imports."""

from functools import lru_cache

from pydantic import Field

from core.settings import Settings, load


class BenchSettings(Settings):
    # Workers: hold each job's transaction open this long after its work, before `done`,
    # so a fault (SIGKILL, a dropped connection) finds jobs mid-transaction.
    test_hold_ms: int = Field(0, ge=0, le=10_000)
    # API: pause between a batch's commit and its publish, so killing the API leaves rows
    # `publishing` for the recovery to find.
    test_publish_delay_ms: int = Field(0, ge=0, le=10_000)
    # The rates stub: answer every call with this status.
    test_stub_status: int | None = Field(None, ge=500, le=599)


@lru_cache
def get_bench_settings() -> BenchSettings:
    return load(BenchSettings)
