"""Static checks of docker-compose.yml, the Dockerfile and .dockerignore.

No Docker engine is needed: the compose file is parsed with PyYAML, every command is
resolved to modules and attributes that exist, worker commands are compared with the
Makefile, and, when the `docker compose` plugin is installed, `docker compose config`
validates the file (it needs no engine).
"""

import importlib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
SECRETS = {
    "POSTGRES_PASSWORD": "pg-test-only",
    "RABBITMQ_USER": "qb-test-only",
    "RABBITMQ_PASSWORD": "rmq-test-only",
    "FLOWER_BASIC_AUTH": "admin:flower-test-only",
}
# Makefile variables in the worker recipes and what compose uses instead.
MAKE_VARS = {
    "$(RUN)": "",
}
REQUIRED_REF = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*:\?[^}]+\}$")
REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)([^}]*)\}")
SECRET_NAME = re.compile(r"PASS|SECRET|TOKEN|AUTH|USER")
URL_USERINFO = re.compile(r"[a-z][a-z0-9+.-]*://([^/@\s]+)@")


Service = dict[str, Any]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Service]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def command(service: Service) -> list[str]:
    cmd = service["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def normalise(line: str) -> str:
    return " ".join(line.split())


def strings(node: Any) -> list[str]:
    """Every string (keys included) anywhere in a YAML tree."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in strings(key) + strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


def app_services(services: dict[str, Service]) -> dict[str, Service]:
    return {name: s for name, s in services.items() if "build" in s}


def makefile_recipe(target: str) -> str:
    """The target's one recipe line that starts a worker, Makefile variables substituted."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"^{re.escape(target)}\s*:", line))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip().lstrip("@-"))
    workers = [line for line in recipe if " worker" in line]
    assert len(workers) == 1, f"make {target}: expected one worker line, got {recipe}"
    line = workers[0]
    for variable, value in MAKE_VARS.items():
        line = line.replace(variable, value)
    assert "$(" not in line, f"unknown Makefile variable in {line!r}"
    return normalise(line)


# ---- the file is valid ----------------------------------------------------------------


def test_parses_without_version_key(compose: dict[str, Any], services: dict[str, Service]) -> None:
    assert "version" not in compose
    expected = {"postgres", "rabbitmq", "migrate", "api", "stub", "flower", "bench", "test"}
    expected |= {"worker-celery", "worker-celery-threads", "worker-taskiq"}
    expected |= {"scheduler-celery", "scheduler-taskiq"}
    assert set(services) == expected


def run_compose_config(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: the variables come from the .env beside the file or nowhere.
    env = {k: v for k, v in os.environ.items() if k not in SECRETS and k != "API_BIND"}
    return subprocess.run(
        ["docker", "compose", *args, "config", "-q"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def compose_dir(tmp_path: Path) -> Path:
    if shutil.which("docker") is None:
        pytest.skip("no docker client")
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    shutil.copy(COMPOSE, tmp_path / "docker-compose.yml")
    return tmp_path


def test_docker_compose_config_accepts_the_file(compose_dir: Path) -> None:
    env = "".join(f"{name}={value}\n" for name, value in SECRETS.items())
    (compose_dir / ".env").write_text(env)
    for name in ("", "celery", "celery-threads", "taskiq", "bench", "test"):
        profile = ["--profile", name] if name else []
        result = run_compose_config(compose_dir, *profile)
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_docker_compose_refuses_a_missing_secret(compose_dir: Path, missing: str) -> None:
    env = "".join(f"{name}={value}\n" for name, value in SECRETS.items() if name != missing)
    (compose_dir / ".env").write_text(env)
    result = run_compose_config(compose_dir)
    assert result.returncode != 0
    assert missing in result.stderr


def test_the_cluster_overlay_refuses_to_start_without_its_cookie(compose_dir: Path) -> None:
    shutil.copy(ROOT / "docker-compose.cluster.yml", compose_dir)
    env = "".join(f"{name}={value}\n" for name, value in SECRETS.items())
    (compose_dir / ".env").write_text(env)
    files = ("-f", "docker-compose.yml", "-f", "docker-compose.cluster.yml")
    refused = run_compose_config(compose_dir, *files)
    assert refused.returncode != 0
    assert "set RABBITMQ_COOKIE in .env" in refused.stderr
    (compose_dir / ".env").write_text(env + "RABBITMQ_COOKIE=test-only\n")
    assert run_compose_config(compose_dir, *files).returncode == 0


# ---- every command runs something that exists ------------------------------------------


def check_uvicorn(cmd: list[str]) -> None:
    module, _, attribute = cmd[1].partition(":")
    assert hasattr(importlib.import_module(module), attribute), cmd[1]


def check_celery(cmd: list[str]) -> None:
    app = cmd[cmd.index("-A") + 1]
    assert hasattr(importlib.import_module(app), "app"), app
    subcommand = cmd[cmd.index("-A") + 2]
    assert subcommand in {"worker", "flower"}, subcommand
    if subcommand == "flower":
        assert importlib.util.find_spec("flower") is not None


def check_taskiq(cmd: list[str]) -> None:
    assert cmd[1] == "worker"
    module, _, attribute = cmd[2].partition(":")
    assert hasattr(importlib.import_module(module), attribute), cmd[2]
    modules = []
    for arg in cmd[3:]:
        if arg.startswith("-"):
            break
        modules.append(arg)
    assert modules, "taskiq worker without task modules registers no tasks"
    for task_module in modules:
        importlib.import_module(task_module)


def check_alembic(cmd: list[str]) -> None:
    assert cmd[1:] == ["upgrade", "head"]
    assert (ROOT / "alembic.ini").is_file()
    assert (ROOT / "migrations" / "env.py").is_file()


def check_python(cmd: list[str]) -> None:
    assert cmd[1] == "-m"
    package = cmd[2]
    # The harness is built in steps: until `python -m bench` exists the service is a placeholder.
    if package == "bench" and not (ROOT / "bench" / "__main__.py").exists():
        pytest.skip("bench/__main__.py does not exist yet (the harness issue fills in `locust`)")
    spec = importlib.util.find_spec(package)
    assert spec is not None, package
    if spec.submodule_search_locations is not None:
        main = importlib.util.find_spec(f"{package}.__main__")
        assert main is not None, (
            f"docker-compose.yml runs `python -m {package}` but {package}/__main__.py is "
            "missing: add it, or change the service's command"
        )


CHECKS = {
    "uvicorn": check_uvicorn,
    "celery": check_celery,
    "taskiq": check_taskiq,
    "alembic": check_alembic,
    "python": check_python,
}
APP_SERVICES = [
    "migrate", "api", "stub", "worker-celery", "worker-celery-threads", "flower", "worker-taskiq",
    "scheduler-celery", "scheduler-taskiq",
]  # fmt: skip
TOOL_SERVICES = ["bench", "test"]  # their image's entry point runs them


@pytest.mark.parametrize("name", APP_SERVICES)
def test_command_points_at_existing_code(services: dict[str, Service], name: str) -> None:
    cmd = command(services[name])
    assert cmd[0] in CHECKS, f"{name}: no check for {cmd[0]}"
    # The entry point is installed by a runtime dependency, so the image has it too.
    assert (Path(sys.executable).parent / cmd[0]).exists() or cmd[0] == "python", cmd[0]
    CHECKS[cmd[0]](cmd)


def test_every_app_service_is_checked(services: dict[str, Service]) -> None:
    assert set(app_services(services)) == {*APP_SERVICES, *TOOL_SERVICES}


def dockerfile_targets() -> dict[str, list[str]]:
    """Each FROM ... AS target's lines."""
    targets: dict[str, list[str]] = {}
    current = None
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if match := re.match(r"^FROM \S+ AS (\S+)$", line):
            current = targets.setdefault(match[1], [])
        elif current is not None and line.strip() and not line.startswith("#"):
            current.append(line.strip())
    return targets


@pytest.mark.parametrize("name", TOOL_SERVICES)
def test_tool_services_run_their_image_entry_point(services: dict[str, Service], name: str) -> None:
    service = services[name]
    assert "command" not in service, name
    assert service["build"] == {"context": ".", "target": name}
    entry = [line for line in dockerfile_targets()[name] if line.startswith("ENTRYPOINT")]
    assert len(entry) == 1, name
    assert service["init"] is True  # a PID 1 that reaps the harness's processes and forwards ^C
    script = ROOT / "scripts" / "docker_bench.sh"
    if name == "bench":
        assert '"scripts/docker_bench.sh"' in entry[0] and script.is_file()
        assert services[name]["volumes"] == ["${RESULTS_DIR:-./results}:/app/results"]


@pytest.mark.parametrize(("service", "target"), [("stub", "stub"), ("api", "api")])
def test_uvicorn_healthcheck_hits_its_own_port(
    services: dict[str, Service], service: str, target: str
) -> None:
    cmd = command(services[service])
    port = cmd[cmd.index("--port") + 1]
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0"
    probe = " ".join(services[service]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/health'" in probe


def test_stub_url_and_api_url_match_the_services(services: dict[str, Service]) -> None:
    stub = command(services["stub"])
    for name, service in app_services(services).items():
        assert service["environment"]["STUB_URL"] == f"http://stub:{stub[stub.index('--port') + 1]}"
        assert "@postgres:5432/queuebench" in service["environment"]["DATABASE_URL"], name
        assert "@rabbitmq:5672/" in service["environment"]["AMQP_URL"], name
    api = command(services["api"])
    external = (ROOT / "scripts" / "docker_bench.sh").read_text()
    assert f"--api-url http://api:{api[api.index('--port') + 1]}" in external


# ---- worker commands are the Makefile's ------------------------------------------------


DEPLOYED = {"worker-celery": "python -m workers_celery",
            "worker-celery-threads": "python -m workers_celery --pool=threads",
            "worker-taskiq": "python -m workers_taskiq",
            "scheduler-celery": "python -m workers_celery beat",
            "scheduler-taskiq": "python -m workers_taskiq scheduler"}  # fmt: skip


@pytest.mark.parametrize(("target", "entry"), DEPLOYED.items())
def test_workers_start_through_their_entry_points(
    services: dict[str, Service], target: str, entry: str
) -> None:
    """Compose and the Makefile start each worker through its package's entry point, where
    its command line is written once (the harness and the tests start it there too)."""
    assert normalise(" ".join(command(services[target]))) == entry
    assert makefile_recipe(target) == entry


# ---- start order ------------------------------------------------------------------------


def test_depends_on_uses_conditions_and_healthchecks(services: dict[str, Service]) -> None:
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on needs the long form"
        for target, rule in depends.items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = rule["condition"]
            assert condition in {"service_healthy", "service_completed_successfully"}, name
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}'s health"
            else:
                assert "healthcheck" not in services[target], target


def test_app_services_wait_for_what_they_use(services: dict[str, Service]) -> None:
    ready = {"postgres": "service_healthy", "rabbitmq": "service_healthy"}
    migrated = ready | {"migrate": "service_completed_successfully"}
    workers = migrated | {"stub": "service_healthy"}
    expected = {
        "migrate": {"postgres": "service_healthy"},
        "api": migrated,
        "worker-celery": workers,
        "worker-celery-threads": workers,
        "worker-taskiq": workers,
        "scheduler-celery": workers,
        "scheduler-taskiq": workers,
        "bench": ready,
        "test": ready,
    }
    for name, wanted in expected.items():
        got = {k: v["condition"] for k, v in services[name]["depends_on"].items()}
        assert got == wanted, name


def test_workers_scale(services: dict[str, Service]) -> None:
    for name, service in services.items():
        assert "container_name" not in service, name
    for name in ("worker-celery", "worker-celery-threads"):
        assert "ports" not in services[name], name
    # Taskiq's metrics: a host port per replica, from a range.
    [metrics] = services["worker-taskiq"]["ports"]
    assert re.fullmatch(r"127\.0\.0\.1:\$\{TASKIQ_METRICS_PORTS:-\d+-\d+\}:9000", metrics)


def test_profiles(services: dict[str, Service]) -> None:
    profiles = {name: s.get("profiles", []) for name, s in services.items()}
    assert profiles["worker-celery"] == ["celery"]
    assert profiles["worker-celery-threads"] == ["celery-threads"]
    assert profiles["flower"] == ["celery", "celery-threads"]
    assert profiles["worker-taskiq"] == ["taskiq"]
    assert profiles["scheduler-celery"] == ["celery", "celery-threads"]
    assert profiles["scheduler-taskiq"] == ["taskiq"]
    assert profiles["bench"] == ["bench"] and profiles["test"] == ["test"]
    for name in ("postgres", "rabbitmq", "migrate", "api", "stub"):
        assert profiles[name] == [], name


def test_app_services_share_the_env(services: dict[str, Service]) -> None:
    shared = {"DATABASE_URL", "AMQP_URL", "STUB_URL"}
    extra = {
        "api": {"API_BIND"},
        "worker-celery": {"WORKER_PROCESSES", "WORKER_SLOTS"},
        "worker-celery-threads": {"WORKER_PROCESSES", "WORKER_SLOTS"},
        "worker-taskiq": {
            "TASKIQ_METRICS_PORT",
            "TASKIQ_METRICS_ADDR",
            "WORKER_PROCESSES",
            "WORKER_SLOTS",
        },
        "bench": {"BENCH_DATABASE_URL", "RABBITMQ_MANAGEMENT_URL", "BENCH_PROFILE"},
        "test": {"TEST_DATABASE_URL", "RABBITMQ_MANAGEMENT_URL"},
    }
    for name, service in app_services(services).items():
        target = name if name in TOOL_SERVICES else "app"
        assert service["build"] == {"context": ".", "target": target}, name
        # Optional: without .env the credentials' `:?` refuses to start, naming the variable.
        assert service["env_file"] == [{"path": ".env", "required": False}], name
        assert set(service["environment"]) == shared | extra.get(name, set()), name
    # The harness's own database, never the deployment's (a run empties it).
    assert services["bench"]["environment"]["BENCH_DATABASE_URL"].endswith("/queuebench_bench")
    assert services["test"]["environment"]["TEST_DATABASE_URL"].endswith("/queuebench_test")


# ---- exposure and secrets ----------------------------------------------------------------

PORT = re.compile(
    r"^(?P<ip>\$\{[^}]+\}|[0-9.]+):(?P<host>\$\{[^}]+\}|\d+(-\d+)?):(?P<container>\d+)(/(tcp|udp))?$"
)


def published(service: Service) -> list[tuple[str, str]]:
    """(host ip, container port) of every published port; a port without an ip fails."""
    result = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            assert "host_ip" in entry, entry
            result.append((str(entry["host_ip"]), str(entry["target"])))
            continue
        match = PORT.match(str(entry))
        assert match, f"port {entry!r} does not name a host ip, so it binds every interface"
        result.append((match["ip"], match["container"]))
    return result


def test_ports_bind_loopback_only(services: dict[str, Service]) -> None:
    ports = {name: published(s) for name, s in services.items() if published(s)}
    assert ports == {
        "api": [("${API_BIND:-127.0.0.1}", "8000")],
        "rabbitmq": [("127.0.0.1", "15672")],
        "flower": [("127.0.0.1", "5555")],
        "worker-taskiq": [("127.0.0.1", "9000")],
    }
    assert "expose" not in services["postgres"]


def test_no_literal_secrets(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: environment needs the map form"
        for key, value in environment.items():
            if re.search(r"PASS|SECRET|TOKEN", key):
                assert REQUIRED_REF.match(str(value)), f"{name}.{key} = {value!r}"
    for text in strings(compose):
        # user:password@ in a URL: both parts are required references.
        for userinfo in URL_USERINFO.findall(text):
            user, _, password = userinfo.partition(":")
            assert password, f"no password in {text!r}"
            assert REQUIRED_REF.match(password), f"literal password in {text!r}"
            assert user == "postgres" or REQUIRED_REF.match(user), text
        if text.startswith("--basic-auth="):
            assert REQUIRED_REF.match(text.removeprefix("--basic-auth=")), text
        # Any reference to a credential variable must refuse to start without it.
        for variable, rest in REFERENCE.findall(text):
            if SECRET_NAME.search(variable):
                assert rest.startswith(":?"), f"${{{variable}{rest}}} has a default or may be empty"
    raw = COMPOSE.read_text().lower()
    assert "guest" not in raw


# ---- the image ---------------------------------------------------------------------------


def test_dockerfile() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert not re.search(r"(PASSWORD|SECRET|TOKEN)\s*=", text)
    froms = re.findall(r"^FROM (\S+) AS (\S+)$", text, flags=re.M)
    assert {base for base, _ in froms} <= {"python:3.11-slim", "uv", "runtime", "scratch"}
    targets = dockerfile_targets()
    # Each image installs only its own dependency groups, from the lock file, with uv.
    both = "RUN uv sync --frozen --no-default-groups --group celery --group taskiq"
    assert f"{both} --no-install-project" in targets["app-deps"]
    assert any("--group bench" in line for line in targets["bench-deps"])
    assert "COPY pyproject.toml uv.lock ./" in targets["uv"]
    for image in ("app", "bench", "test"):
        lines = targets[image]
        assert f"COPY --from={image}-deps /app/.venv /app/.venv" in lines[0], image
        assert not any("uv" in line.split() for line in lines), f"{image} carries uv"
    # The app image: only the service code, run as a user that is not root.
    app = targets["app"]
    assert "COPY --from=sources /app /app" in app
    assert not any(line.startswith("COPY . .") or "bench" in line for line in app)
    assert not any("bench" in line or "tests" in line for line in targets["sources"])
    assert [line.split()[1] for line in app if line.startswith("USER ")] == ["app"]
    assert [line.split()[1] for line in targets["test"] if line.startswith("USER ")] == ["app"]


def test_dockerignore_keeps_out_local_state() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".env", "results"} <= ignored
    assert {".pytest_cache", ".mypy_cache", ".ruff_cache"} <= ignored
    needed = ("core", "api", "workers_celery", "workers_taskiq", "stub", "migrations", "bench")
    for code in (*needed, "tests", "docker-compose.yml", "Makefile"):
        assert code not in ignored and f"{code}/" not in ignored
