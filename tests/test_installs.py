"""A Taskiq-only and a Celery-only install: the copy set the README names for one backend
(core/, api/, that worker package, migrations/, alembic.ini), in a fresh virtualenv holding
only the project's dependencies and that backend's group, runs a job end to end against
the real Postgres and RabbitMQ, and cannot import the other backend's library."""

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from scripts.ensure_db import ensure_database
from tests.helpers import processes

ROOT = Path(processes.ROOT)
COPY_SET = {
    "taskiq": ["core", "api", "workers_taskiq", "migrations", "alembic.ini"],
    "celery": ["core", "api", "workers_celery", "migrations", "alembic.ini"],
}
OTHER = {"taskiq": "celery", "celery": "taskiq"}
PORT = {"taskiq": 18031, "celery": 18032}
pytestmark = pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed")


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        cmd, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{' '.join(cmd)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def install(backend: str, where: Path) -> Path:
    """A virtualenv with the locked dependencies and one backend's group, nothing else."""
    requirements = where / "requirements.txt"
    export = ["uv", "export", "--frozen", "--no-default-groups", "--group", backend]
    run([*export, "--no-hashes", "--no-emit-project", "-o", str(requirements)], ROOT)
    venv = where / "venv"
    run(["uv", "venv", "--quiet", "--python", sys.executable, str(venv)], where)
    python = venv / "bin" / "python"
    run(
        ["uv", "pip", "install", "--quiet", "--python", str(python), "-r", str(requirements)], where
    )
    return python


def copy_set(backend: str, where: Path) -> Path:
    app = where / "app"
    app.mkdir()
    for name in COPY_SET[backend]:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, app / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, app / name)
    return app


@pytest.mark.parametrize("backend", ["taskiq", "celery"])
async def test_one_backend_install_runs_a_job(backend: str, tmp_path: Path) -> None:
    python = await asyncio.to_thread(install, backend, tmp_path)
    app = copy_set(backend, tmp_path)
    listed = ["uv", "pip", "list", "--python", str(python), "--format", "freeze"]
    packages = await asyncio.to_thread(run, listed, app)
    print(f"\n{backend}-only install: {len(packages.splitlines())} packages")
    other = [str(python), "-c", f"import {OTHER[backend]}"]
    refused_import = await asyncio.to_thread(subprocess.run, other, capture_output=True)
    assert refused_import.returncode != 0, f"a {backend}-only install imports {OTHER[backend]}"

    env = {
        "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/queuebench_only_{backend}",
        "BACKENDS": backend,
        "CELERY_QUEUE": "install.celery",
        "TASKIQ_QUEUE": "install.taskiq",
        "TASKIQ_EXCHANGE": "install.taskiq",
        "WORKER_PROCESSES": "1",
        "WORKER_SLOTS": "4",
        "PYTHONPATH": "",
    }
    await ensure_database(env["DATABASE_URL"])
    await asyncio.to_thread(run, [str(python), "-m", "alembic", "upgrade", "head"], app, env)
    api = [str(python), "-m", "uvicorn", "api.main:app", "--port", str(PORT[backend])]
    worker = [str(python), "-m", f"workers_{backend}"]
    base = f"http://127.0.0.1:{PORT[backend]}"
    with (
        processes.running(api, str(app), env) as api_proc,
        processes.running(worker, str(app), env),
    ):
        await asyncio.to_thread(processes.wait_http_ok, f"{base}/health", api_proc)
        async with httpx.AsyncClient(base_url=base, timeout=90) as client:
            posted = await client.post("/jobs", json={"backend": backend, "task": "price_order"})
            assert posted.status_code == 202, posted.text
            job = (await client.get(f"/jobs/{posted.json()['id']}", params={"wait": 60})).json()
            refused = await client.post(
                "/jobs", json={"backend": OTHER[backend], "task": "price_order"}
            )
    assert job["status"] == "done", job
    assert job["result"]["total"], job
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"]["served"] == [backend]
