"""What `python -m bench run`'s options become, checked before anything starts: the profile
and its changes, the ports, the settings and the schema, the faults this machine can inject,
what an --external run can measure. A refusal is one line naming the fix (`fail`)."""

import dataclasses
import socket
from typing import NoReturn

import httpx
import typer

from bench.run.external import Refused, adapt
from bench.run.faults.registry import INJECTORS
from bench.run.probes.jobsdb import JobsDB
from bench.run.processes import netdelay
from bench.run.session import console
from bench.spec.profiles import PROFILES, Profile
from bench.spec.tune import Config, parse
from bench.spec.variants import BY_NAME
from bench.spec.variants import NAMES as VARIANTS
from core.settings import Settings


def fail(message: str) -> NoReturn:
    """One line on stderr naming the fix, exit 2: no usage box, nothing started."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def names(value: str | None, allowed: tuple[str, ...], what: str) -> tuple[str, ...] | None:
    """A comma list checked against what exists; "none" is the empty list."""
    if value is None:
        return None
    found = () if value == "none" else tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = sorted(set(found) - set(allowed))
    if unknown:
        fail(f"unknown {what}: {', '.join(unknown)} (choose from {', '.join(allowed)})")
    return found


def numbers(
    value: str | None, kind: type[float] | type[int], what: str
) -> tuple[float, ...] | None:
    """A comma list of numbers; None when not given; "none" is the empty list."""
    if value is None:
        return None
    try:
        return tuple(kind(v) for v in value.split(",") if v.strip() and v != "none")
    except ValueError as exc:
        fail(f"{what} must be numbers: {exc}")


def searched(
    profile: str, space_: str | None, variants_: str | None, *tune_options: object
) -> tuple[tuple[Config, ...] | None, tuple[str, ...] | None]:
    """--space and --variants: the configurations, and the variants (theirs when only
    --space is given); the tune's and scale's options refused for other profiles."""
    configs = space(space_)
    if (configs or any(tune_options)) and not getattr(PROFILES.get(profile), "space", ()):
        fail(f"--space, --top and --api-workers are for the tune and scale profiles, not {profile}")
    chosen = names(variants_, VARIANTS, "variant")
    if configs and chosen is None:
        chosen = tuple(dict.fromkeys(c.variant for c in configs))
    return configs, chosen


def space(value: str | None) -> tuple[Config, ...] | None:
    """A tune's configurations, a comma list of labels (variant@PxS qQ) of known variants."""
    if value is None:
        return None
    try:
        found = tuple(parse(label) for label in value.split(",") if label.strip())
    except ValueError as exc:
        fail(f"--space: {exc}")
    unknown = sorted({c.variant for c in found} - set(VARIANTS))
    if unknown or not found:
        fail(f"--space: unknown variant(s) {', '.join(unknown) or '(none given)'}")
    if bad := [c.label for c in found if BY_NAME[c.variant].prefork and c.slots != 1]:
        fail(f"--space: {', '.join(bad)}: prefork runs one task per child process (slots 1)")
    # a loop pool's Celery reserves prefetch multiplier x threads: a whole multiple of slots
    if bad := [c.label for c in found if BY_NAME[c.variant].one_process and c.prefetch % c.slots]:
        fail(f"--space: {', '.join(bad)}: a threads or gevent prefetch is a multiple of its slots")
    return found


def distances(value: str | None) -> tuple[float, ...] | None:
    found = numbers(value, float, "--rtt-ms")
    for rtt in found or ():
        try:
            netdelay.check_rtt(rtt)
        except netdelay.ProxyError as exc:
            fail(f"--rtt-ms: {exc}")
    return found


def free_ports(api: int, stub: int, proxy: int | None) -> None:
    """The ports a local run listens on are free (and the proxy built) before it starts."""
    ports = [(api, "--api-port"), (stub, "--stub-port")]
    ports += [(proxy + n, "--proxy-port") for n in range(3)] if proxy is not None else []
    for port, option in ports:
        if port_in_use(port):
            fail(f"port {port} is in use: stop what runs there or pass {option}")
    if proxy is not None:
        try:
            netdelay.binary()  # built now: a missing compiler is said before anything starts
        except netdelay.ProxyError as exc:
            fail(str(exc))


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def choose(name: str, **given: object) -> Profile:
    """The named profile with what the options changed."""
    base = PROFILES.get(name)
    if base is None:
        known = ", ".join(PROFILES)
        fail(f"unknown profile {name!r} (choose from {known}; BENCH_PROFILE in compose)")
    changes = {k: v for k, v in given.items() if v is not None}  # () is "none": asked for
    chosen = dataclasses.replace(base, **changes)  # type: ignore[arg-type]
    if problem := chosen.problem():
        fail(problem)
    return chosen


def where_api(
    external: bool, api_url: str | None, api_port: int, stub_port: int, proxy_port: int,
    chosen: Profile,
) -> str:  # fmt: skip
    """The API's URL: a local run's, its ports free; or the deployment's, given."""
    if not external:
        free_ports(api_port, stub_port, proxy_port if chosen.rtts else None)
        return f"http://127.0.0.1:{api_port}"
    if chosen.rtts:
        fail("--external cannot put a delay between a deployment's workers and its services")
    if api_url is None:
        fail("--external needs --api-url (and usually --database-url)")
    return api_url


def settings_for(external: bool, stub_port: int, **given: object) -> Settings:
    overrides = {"celery_task_events": False, **{k: v for k, v in given.items() if v}}
    if not external:
        overrides["stub_url"] = f"http://127.0.0.1:{stub_port}"
    settings = Settings(**overrides)  # type: ignore[arg-type]
    db = JobsDB(settings.database_url)
    try:
        db.check_schema()
    except RuntimeError as exc:
        fail(str(exc))
    finally:
        db.close()
    return settings


def faults_here(prof: Profile, settings: Settings, asked: bool) -> tuple[Profile, dict[str, str]]:
    """The faults whose tools this machine has; one asked for by name without them is
    refused, a profile's own left out (the report lists them, with why)."""
    not_run = {f: why for f in prof.faults if (why := INJECTORS[f].problem(settings))}
    if not_run and asked:
        fault, why = next(iter(not_run.items()))
        fail(f"--faults {fault} {why}")
    for fault, why in not_run.items():
        console.print(f"[yellow]fault {fault} not run: it {why}[/]")
    kept = tuple(f for f in prof.faults if f not in not_run)
    return dataclasses.replace(prof, faults=kept), not_run


def external_profile(
    prof: Profile, settings: Settings, api_url: str, asked_variants: str | None,
    asked_faults: str | None,
) -> Profile:  # fmt: skip
    """What an external run can measure of the profile; refused, with why, if nothing."""
    try:
        httpx.get(f"{api_url}/health", timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        fail(f"the API at {api_url} is not healthy ({exc}): start the deployment first")
    try:
        adapted = adapt(prof, settings, asked_variants is not None, asked_faults is not None)
    except Refused as exc:
        fail(f"--external: {exc}")
    dropped = [str(m) for m in prof.models if m not in adapted.models]
    dropped += [f"fault {f}" for f in prof.faults if f not in adapted.faults]
    if prof.calibrate or prof.jobcost:
        dropped.append("calibration and job-cost cells")
    if dropped:
        console.print(
            f"[yellow]--external: without {', '.join(dropped)} (they need workers or processes "
            "this run does not own)[/]"
        )
    console.print(f"--external: variants {', '.join(adapted.variants)} (the workers up)")
    return adapted
