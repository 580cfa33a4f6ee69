# One image for every app service in docker-compose.yml (API, stub, migrate, both
# workers, Flower, the bench harness); compose picks the process with `command:`.
# No secrets here: every credential comes from .env at run time.
FROM python:3.11-slim

# uv from PyPI, pinned to the version that wrote uv.lock.
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    PATH="/app/.venv/bin:${PATH}"

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# The code (core api workers_celery workers_taskiq stub scripts migrations alembic.ini,
# and bench/ once it exists); .dockerignore keeps out .venv, .git, .env, results, caches.
COPY . .

RUN useradd --system --create-home --uid 10001 --user-group app \
    && mkdir -p /app/results \
    && chown app:app /app/results
USER app

CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000"]
