"""One settings object for every process (API, both workers, stub, harness)."""

import ipaddress
from functools import lru_cache
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.contract import Backend, TaskName

# How long one attempt of a job may run before it is cut (its awaits cancelled) and counted
# as a failed attempt; JOB_DEADLINES_S='{"fetch_rates": 20}' overrides any of them. A task
# named nowhere gets the longest.
DEFAULT_DEADLINES_S: dict[str, float] = {
    TaskName.price_order.value: 30.0,
    TaskName.sales_report.value: 60.0,
    TaskName.fetch_rates.value: 30.0,
    TaskName.render_invoice.value: 60.0,
}


# A connection that goes silent must be noticed within this many seconds. aiormq gives up
# after (heartbeat + 1) x 3 s without a frame, py-amqp after 2 heartbeats (checked every half).
SILENT_NOTICE_BOUND_S = 30.0
MAX_HEARTBEAT_S = int(SILENT_NOTICE_BOUND_S // 3) - 1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Connections. The defaults point at local development services only;
    # compose and real deployments set these from .env.
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/queuebench"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    stub_url: str = "http://127.0.0.1:8090"
    # AMQP heartbeat, one value for every connection (API, both workers, harness): a
    # connection that goes silent (a dead host, NAT entry or balancer flow: no FIN, no RST)
    # is noticed after missed heartbeats, within SILENT_NOTICE_BOUND_S, and reconnected.
    amqp_heartbeat_s: int = 5
    # Celery only: the cluster's nodes, comma-separated, for kombu's own failover (it takes
    # a list; aio-pika takes one URL, so the API and Taskiq reach a cluster through a
    # balancer at AMQP_URL). Unset: Celery uses AMQP_URL too.
    amqp_failover_urls: Annotated[tuple[str, ...], NoDecode] = ()
    # RabbitMQ's management API (http://user:password@host:15672), for administering a
    # broker on another host or container (the harness's broker faults, the tests);
    # unset, they use rabbitmqctl on this host.
    rabbitmq_management_url: str | None = None
    # How to run rabbitmqctl against a broker on this host (restarts and memory alarms need
    # it): `docker exec <container> rabbitmqctl` for a broker container.
    rabbitmqctl: str = "rabbitmqctl"
    # The harness's node-loss fault: the docker containers of a RabbitMQ cluster's nodes,
    # comma-separated, which it may kill and start (scripts/cluster_broker.sh prints them).
    rabbitmq_nodes: Annotated[tuple[str, ...], NoDecode] = ()

    # The backends this deployment runs (BACKENDS=taskiq, or celery,taskiq): the API publishes
    # to these only, and imports only their libraries.
    backends: Annotated[tuple[Backend, ...], NoDecode] = (Backend.celery, Backend.taskiq)
    # Broker layout: the same RabbitMQ and quorum queues for both backends.
    celery_queue: str = "jobs.celery"
    taskiq_queue: str = "jobs.taskiq"
    taskiq_exchange: str = "jobs.taskiq"
    publish_timeout_s: float = Field(5.0, gt=0, le=60)
    # RabbitMQ dead-letters a message returned to the queue more than this many times
    # (hand-backs while the database is down, worker crashes): quorum x-delivery-limit.
    delivery_limit: int = Field(10, ge=1, le=1000)

    # Worker sizing (fairness: same process count and pool size for both).
    worker_processes: int = Field(2, ge=1, le=64)
    worker_slots: int = Field(32, ge=1, le=1000)  # taskiq --max-async-tasks
    # Messages reserved per worker process, the same for both: Taskiq's qos, Celery's
    # prefetch multiplier x tasks per process (prefork: 1; threads pool: its threads).
    # Unset: WORKER_SLOTS. Lower it for long jobs, so none waits behind a busy process.
    worker_prefetch: int | None = Field(None, ge=1, le=10_000)
    # Task events feed Flower; they cost Celery two extra messages per task, so the
    # benchmark turns them off (Taskiq sends nothing comparable).
    celery_task_events: bool = True
    # Taskiq workers' Prometheus metrics (taskiq's PrometheusMiddleware) on this port;
    # 0: off (the benchmark keeps it off, as it keeps Celery's task events off).
    taskiq_metrics_port: int = Field(0, ge=0, le=65535)
    taskiq_metrics_addr: str = "127.0.0.1"
    db_pool_size: int = Field(10, ge=1, le=200)
    db_max_overflow: int = Field(0, ge=0, le=200)

    # The same retry policy for transient errors in both backends.
    retry_max_attempts: int = Field(3, ge=1, le=10)
    retry_backoff_s: float = Field(0.2, ge=0, le=30)
    retry_backoff_max_s: float = Field(2.0, ge=0, le=60)
    http_timeout_s: float = Field(10.0, gt=0, le=120)
    # Deadlines: per task, merged over DEFAULT_DEADLINES_S. Every attempt of a job and the
    # whole delivery (attempts and backoffs) must end well within RabbitMQ's consumer
    # timeout, or the broker closes the channel on a worker still working.
    job_deadlines_s: dict[str, float] = Field(default_factory=dict)
    broker_consumer_timeout_s: float = Field(1800.0, gt=0)  # RabbitMQ's consumer_timeout
    # A lifecycle write (running, done, failed) that takes longer is cut and retried.
    db_write_timeout_s: float = Field(10.0, gt=0, le=300)
    # Lifecycle writes (running/done/failed) survive a dropped DB connection this many
    # tries (same backoff) before the worker hands the message back to the broker.
    db_retry_attempts: int = Field(6, ge=1, le=20)

    # Periodic jobs, defined once for Celery beat and the Taskiq scheduler: task -> every
    # this many whole seconds, PERIODIC_S='{"sales_report": 60}' (core/periodic.py).
    periodic_s: dict[TaskName, Annotated[int, Field(ge=1, le=86_400)]] = {TaskName.sales_report: 60}

    # Rate limits, jobs/s per worker (all its processes): RATE_LIMITS='{"fetch_rates": 5}'.
    # Celery's rate_limit; Taskiq: workers_taskiq/rate_limit.py. Not across workers.
    rate_limits: dict[TaskName, Annotated[float, Field(gt=0, le=10_000)]] = {}

    # API bounds.
    # Request bodies over this get 413 before any of them reaches a route. A 1000-job
    # batch with every default payload written out is ~0.3 MB, so 2 MiB leaves ~7x room.
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Requests in flight per API process (all paths, /health too); past it: 503 at once.
    max_inflight_requests: int = Field(256, ge=1, le=100_000)
    # API event-loop lag probe: wake every this many ms and record how late (0: off).
    loop_lag_probe_ms: int = Field(0, ge=0, le=1000)

    # Recovery, run by every API process: rows still `publishing` this long after they
    # were written lost their API process between commit and publish and are published
    # again; dead-lettered jobs are marked failed. Every `recovery_interval_s`.
    recovery_interval_s: float = Field(5.0, gt=0, le=3600)
    outbox_grace_s: float = Field(30.0, gt=0, le=86_400)
    # A row still `running` this long past its attempt's deadline has no delivery left to
    # end it (a worker died and nothing redelivered it): the recovery marks it failed.
    running_grace_s: float = Field(120.0, gt=0, le=86_400)

    # Exposure: when API_BIND is not loopback, every route but /health needs
    # `Authorization: Bearer <API_TOKEN>` (and the API refuses to start without a token).
    api_bind: str = "127.0.0.1"
    api_token: str | None = Field(None, min_length=16)

    @field_validator("backends", mode="before")
    @classmethod
    def comma_separated(cls, value: Any) -> Any:
        value = _split_commas(value)
        if not value:
            raise ValueError("name at least one backend: celery, taskiq or celery,taskiq")
        return value

    @field_validator("amqp_heartbeat_s")
    @classmethod
    def heartbeat_within_bound(cls, value: int) -> int:
        if not 1 <= value <= MAX_HEARTBEAT_S:
            raise ValueError(
                f"{value} s is not a heartbeat a silent connection is noticed by within "
                f"{SILENT_NOTICE_BOUND_S:g} s: give 1 to {MAX_HEARTBEAT_S} (0 turns heartbeats "
                "off and leaves a dead connection unnoticed for minutes)"
            )
        return value

    @field_validator("rabbitmq_nodes", mode="before")
    @classmethod
    def node_list(cls, value: Any) -> Any:
        return _split_commas(value)

    @field_validator("amqp_failover_urls", mode="before")
    @classmethod
    def url_list(cls, value: Any) -> Any:
        value = _split_commas(value)
        for url in value:
            parts = urlsplit(url)
            if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
                raise ValueError(
                    f"{url!r} is not an AMQP URL: give each node as amqp://user:password@host:5672/,"
                    " comma-separated"
                )
        return value

    @model_validator(mode="after")
    def bounds_agree(self) -> "Settings":
        # A live API process may still be publishing a row for up to 2 x publish_timeout_s.
        if self.outbox_grace_s <= 2 * self.publish_timeout_s:
            raise ValueError("OUTBOX_GRACE_S must be more than 2 x PUBLISH_TIMEOUT_S")
        bad = {t: s for t, s in self.deadlines_s.items() if not s > 0}
        if bad:
            raise ValueError(f"JOB_DEADLINES_S must be positive seconds, not {bad}")
        if self.delivery_budget_s >= self.broker_consumer_timeout_s:
            raise ValueError(
                f"a delivery may take {self.delivery_budget_s:.0f} s ({self.retry_max_attempts} "
                f"attempts of up to {self.max_deadline_s:g} s, and backoffs), not under "
                f"BROKER_CONSUMER_TIMEOUT_S ({self.broker_consumer_timeout_s:g} s): lower "
                "JOB_DEADLINES_S or RETRY_MAX_ATTEMPTS, or raise RabbitMQ's consumer_timeout"
            )
        if self.running_grace_s <= self.db_write_budget_s:
            raise ValueError(
                f"RUNNING_GRACE_S must exceed the {self.db_write_budget_s:.0f} s a lifecycle "
                "write may retry for (DB_RETRY_ATTEMPTS x (DB_WRITE_TIMEOUT_S + backoff))"
            )
        if not self.api_token and not _loopback(self.api_bind):
            raise ValueError(
                f"API_BIND={self.api_bind} exposes the API: set API_TOKEN (16+ characters) "
                "in .env, or bind it to 127.0.0.1"
            )
        return self

    @property
    def amqp_connect_url(self) -> str:
        """AMQP_URL with the heartbeat in its query, as aio-pika (aiormq) reads it."""
        parts = urlsplit(self.amqp_url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "heartbeat"]
        query.append(("heartbeat", str(self.amqp_heartbeat_s)))
        return parts._replace(query=urlencode(query)).geturl()

    @property
    def celery_broker_urls(self) -> list[str]:
        """Celery's broker: the failover list when given (kombu tries each in turn)."""
        return list(self.amqp_failover_urls) or [self.amqp_url]

    @property
    def deadlines_s(self) -> dict[str, float]:
        return {**DEFAULT_DEADLINES_S, **self.job_deadlines_s}

    def deadline_for(self, task: str) -> float:
        return self.deadlines_s.get(task, self.max_deadline_s)

    @property
    def max_deadline_s(self) -> float:
        return max(self.deadlines_s.values())

    def backoff(self, attempt: int) -> float:
        """The pause after failed attempt `attempt` (1, 2, ...): doubling, capped."""
        return float(min(self.retry_backoff_s * 2 ** (attempt - 1), self.retry_backoff_max_s))

    def _backoffs(self, attempts: int) -> float:
        return sum(self.backoff(n) for n in range(1, attempts))

    @property
    def db_write_budget_s(self) -> float:
        """How long a lifecycle write may keep retrying before the message is handed back."""
        return self.db_retry_attempts * self.db_write_timeout_s + self._backoffs(
            self.db_retry_attempts
        )

    @property
    def delivery_budget_s(self) -> float:
        """The longest one delivery may run: every attempt to its deadline, with backoffs,
        and its lifecycle writes."""
        attempts = self.retry_max_attempts
        return (
            attempts * self.max_deadline_s + self._backoffs(attempts) + 2 * self.db_write_budget_s
        )

    @property
    def prefetch(self) -> int:
        return self.worker_prefetch or self.worker_slots

    def celery_prefetch_multiplier(self, tasks_per_process: int = 1) -> int:
        """The multiplier that reserves `prefetch` messages per Celery process."""
        return max(1, round(self.prefetch / tasks_per_process))

    def queue_for(self, backend: Backend) -> str:
        """The RabbitMQ queue a backend's messages go to."""
        match backend:
            case Backend.celery:
                return self.celery_queue
            case Backend.taskiq:
                return self.taskiq_queue


def _split_commas(value: Any) -> Any:
    """A comma-separated setting (BACKENDS, AMQP_FAILOVER_URLS) as a tuple of its parts."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def refused(exc: ValidationError) -> str:
    """A settings error in one line naming the setting and the fix."""
    parts = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"]).upper()
        message = str(e["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "error: bad settings: " + "; ".join(parts)


AnySettings = TypeVar("AnySettings", bound=Settings)


def load(cls: type[AnySettings]) -> AnySettings:
    """Settings of class `cls`; a bad one stops the process with one line (no traceback)."""
    try:
        return cls()
    except ValidationError as exc:
        raise SystemExit(refused(exc)) from None


@lru_cache
def get_settings() -> Settings:
    """The process's settings."""
    return load(Settings)
