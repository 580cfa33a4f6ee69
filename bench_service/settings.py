"""The benchmark's settings: the service's, plus the fault hooks the harness turns on (each
0 unless a cell needs it). A subclass the service never imports. (The stub's failure mode,
TEST_STUB_STATUS, is the stub's own setting: stub/app.py.)"""

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


@lru_cache
def get_bench_settings() -> BenchSettings:
    return load(BenchSettings)
