"""The features both backends offer, as data: how Celery does each, how Taskiq does it (its
core, a package with its version, or ours), and the test that proves it on real workers.
The README's matrix says the same (tests/bench/test_features.py holds them together); the
report shows it, with the figures `python -m bench features` measured where there are any.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    celery: str
    taskiq: str
    test: str
    # What is measured, and where: `bench` names a part of `python -m bench features`'
    # figures, which the report fills in; otherwise `figure` says it.
    figure: str = ""
    bench: str | None = None


FEATURES = (
    Feature(
        "periodic jobs",
        "beat, built in; `BeatLazyFunc` stamps each tick",
        "`TaskiqScheduler`, built in, with a schedule source of ours",
        "tests/e2e/test_periodic.py",
        figure="jobs per window with two schedulers: printed by `pytest -s` on its test",
    ),
    Feature(
        "delayed jobs",
        "countdown/ETA through native delayed delivery, built in",
        "the `delay` label through taskiq-aio-pika's delay queue, package",
        "tests/e2e/test_delayed.py",
        bench="delay",
    ),
    Feature(
        "priorities",
        "the AMQP message priority, built in",
        "taskiq-aio-pika's `priority` label, package",
        "tests/e2e/test_priority.py",
        bench="priority",
    ),
    Feature(
        "chains",
        "canvas `chain`, built in; not used: rows, ours",
        "taskiq-pipelines 0.1.4, package; not used: rows, ours",
        "tests/e2e/test_chains.py",
        figure="no figure: the test checks that no step runs after a failed one",
    ),
    Feature(
        "rate limits per task",
        "`rate_limit`, built in, per worker",
        "a middleware of ours, per worker (taskiq-rate-limiter is 0.1.0b2)",
        "tests/e2e/test_rate_limit.py",
        figure="jobs/s held against the limit: printed by `pytest -s` on its test",
    ),
    Feature(
        "cancellation",
        "`revoke`, built in; not used: the row, a notification and the deadline, ours",
        "none in the core (taskiq-cancellation 0.0.1): the same as Celery's, ours",
        "tests/e2e/test_cancel.py",
        figure="no figure: the test holds a running job's stop to 3 s after the cancel",
    ),
    Feature(
        "retries with backoff",
        "`autoretry_for` + `retry_backoff`, built in (examples/); the service: the row's policy",
        "`SmartRetryMiddleware`, built in, opt-in (examples/); the service: the row's policy",
        "tests/examples/test_retries.py",
        figure="calls and waits of a native retry: printed by `pytest -s` on its test",
    ),
)
