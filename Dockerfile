# One Dockerfile, three images (compose picks them with `target:`):
#   app    the API, the stub, migrations, both workers and Flower: runtime dependencies only
#   bench  app + the harness (Locust, matplotlib, scipy): `docker compose run --rm bench`
#   test   bench + the test suite and its tools: `docker compose run --rm test`
# No secrets here: every credential comes from .env at run time.

FROM python:3.11-slim AS uv
# uv from PyPI, pinned to the version that wrote uv.lock; it stays in the build stages.
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1
WORKDIR /app
COPY pyproject.toml uv.lock ./

FROM uv AS app-deps
RUN uv sync --frozen --no-default-groups --group celery --group taskiq --no-install-project

FROM uv AS bench-deps
RUN uv sync --frozen --no-default-groups --group celery --group taskiq --group bench \
    --no-install-project

FROM uv AS test-deps
RUN uv sync --frozen --no-install-project

# The harness's delay and fault proxy (netdelay/), for the network and connection-fault cells.
FROM python:3.11-slim AS netdelay-build
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null \
    && rm -rf /var/lib/apt/lists/*
COPY netdelay/ /src/
RUN cc -O2 -Wall -pthread -o /netdelay /src/netdelay.c

FROM python:3.11-slim AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH="/app/.venv/bin:${PATH}" \
    MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /app
RUN useradd --system --create-home --uid 10001 --user-group app \
    && mkdir -p /app/results && chown app:app /app /app/results

# The service code, once, for the two images that run it.
FROM scratch AS sources
COPY alembic.ini /app/
COPY migrations /app/migrations
COPY core /app/core
COPY api /app/api
COPY workers_celery /app/workers_celery
COPY workers_taskiq /app/workers_taskiq
COPY stub /app/stub
COPY scripts /app/scripts

FROM runtime AS app
COPY --from=app-deps /app/.venv /app/.venv
COPY --from=sources /app /app
USER app
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000"]

FROM runtime AS bench
COPY --from=bench-deps /app/.venv /app/.venv
COPY --from=sources /app /app
COPY bench_service bench_service
COPY bench bench
COPY --from=netdelay-build /netdelay /usr/local/bin/netdelay
ENV NETDELAY_BIN=/usr/local/bin/netdelay
# Starts as root only to hand the report to the owner of ./results, then runs the harness
# as that user (scripts/docker_bench.sh).
ENTRYPOINT ["sh", "scripts/docker_bench.sh"]

FROM runtime AS test
COPY --from=test-deps /app/.venv /app/.venv
COPY --from=netdelay-build /netdelay /usr/local/bin/netdelay
ENV NETDELAY_BIN=/usr/local/bin/netdelay
# The whole project: the suite checks the Makefile, compose file and Dockerfile too.
COPY --chown=app:app . .
USER app
ENTRYPOINT ["python", "-m", "pytest", "-p", "no:cacheprovider"]
