# One command each: `make test`, `make bench`. Everything else is a building block.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --frozen

.PHONY: help env services migrate test lint api stub worker-celery worker-celery-threads worker-celery-gevent worker-taskiq scheduler-celery scheduler-taskiq flower bench bench-standard bench-tune bench-full docker-bench docker-test clean

help:
	@echo "make test           create the env, start Postgres+RabbitMQ, migrate a test DB, run the suite"
	@echo "make bench          the quick benchmark: a smoke run of a few minutes, no figures to quote"
	@echo "make bench-standard the standard benchmark (~45 min): both fairness modes, drains + latency"
	@echo "make bench-tune     each backend's worker configurations searched per job (~25 min)"
	@echo "make bench-full     every variant, scenario, load model and fault (hours)"
	@echo "make api | stub     run the API (port 8000) | the external rates stub (port 8090)"
	@echo "make worker-celery  Celery worker (WORKER_PROCESSES prefork processes, one event loop each)"
	@echo "make worker-celery-threads  one Celery threads-pool worker (WORKER_SLOTS threads, one loop)"
	@echo "make worker-celery-gevent   one Celery gevent-pool worker (WORKER_SLOTS greenlets; see README, gevent)"
	@echo "make worker-taskiq  Taskiq worker (WORKER_PROCESSES processes x WORKER_SLOTS async tasks)"
	@echo "make scheduler-celery | scheduler-taskiq  celery beat | the Taskiq scheduler (PERIODIC_S)"
	@echo "make migrate        apply migrations to DATABASE_URL"
	@echo "make lint           ruff + mypy + import-linter (the layers in DESIGN.md)"
	@echo "make docker-bench   the benchmark in docker compose (BENCH_PROFILE, report in ./results)"
	@echo "make docker-test    the test suite in docker compose, against its Postgres and RabbitMQ"

env:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@# Compiled once here: a process that may not write bytecode (PYTHONDONTWRITEBYTECODE)
	@# would compile every import again, seconds per worker start.
	$(UV) sync --frozen --compile-bytecode

services:
	./scripts/services.sh

migrate: env services
	$(RUN) python -m scripts.ensure_db
	$(RUN) alembic upgrade head

test: env services lint
	$(RUN) pytest

lint: env
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy .
	$(RUN) lint-imports

api: migrate
	$(RUN) uvicorn api.main:app --host 127.0.0.1 --port 8000

stub: env
	$(RUN) uvicorn stub.app:app --host 127.0.0.1 --port 8090

worker-celery: migrate
	$(RUN) python -m workers_celery

worker-celery-threads: migrate
	$(RUN) python -m workers_celery --pool=threads

worker-celery-gevent: migrate
	$(RUN) python -m workers_celery --pool=gevent

worker-taskiq: migrate
	$(RUN) python -m workers_taskiq

scheduler-celery: migrate
	$(RUN) python -m workers_celery beat

scheduler-taskiq: migrate
	$(RUN) python -m workers_taskiq scheduler

flower: env
	$(RUN) celery -A workers_celery flower --address=127.0.0.1 --port=5555

bench: migrate
	$(RUN) python -m bench run quick

bench-standard: migrate
	$(RUN) python -m bench run standard

bench-tune: migrate
	$(RUN) python -m bench run tune

bench-full: migrate
	$(RUN) python -m bench run full

docker-bench:
	mkdir -p results && docker compose run --rm bench

docker-test:
	docker compose run --rm test

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache results
