"""The figures every summary is made of: a median with its interval, a paired ratio, and
percentiles (bench/summary.py re-exports them)."""

from pydantic import BaseModel


class Interval(BaseModel):
    """Median over repetitions with an order-statistic interval and its coverage
    (lo/hi None with one repetition, all None when there was nothing to measure)."""

    median: float | None
    lo: float | None
    hi: float | None
    n: int
    coverage: float | None = None


class Ratio(BaseModel):
    """Taskiq / Celery over paired repetitions: geometric mean and its interval."""

    point: float | None
    lo: float | None
    hi: float | None
    n: int
    confidence: float
    method: str


NO_INTERVAL = Interval(median=None, lo=None, hi=None, n=0)


class Percentiles(BaseModel):
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
