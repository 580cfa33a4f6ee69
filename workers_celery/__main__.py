"""Start the Celery worker as it is deployed: `python -m workers_celery [--pool=threads|gevent]
[celery worker options]`, or beat: `python -m workers_celery beat [celery beat options]`.
`make worker-celery`, compose, the benchmark and the tests all start it this way, so its
command line is written once, here.

Sizes come from the settings: prefork runs WORKER_PROCESSES child processes (one task
each); `--pool=threads` (or `gevent`: greenlets) runs WORKER_SLOTS tasks on one event loop,
reserving WORKER_PREFETCH messages. Task events follow CELERY_TASK_EVENTS (Flower shows tasks).
Any other option is passed on to `celery worker`, after ours: a later option wins.
"""

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from typing import NoReturn

from core.settings import Settings, get_settings

APP = "workers_celery"


def command(settings: Settings, pool: str, app: str, extra: Sequence[str]) -> list[str]:
    cmd = [sys.executable, "-m", "celery", "-A", app, "worker", "--loglevel=INFO"]
    if pool in ("threads", "gevent"):
        slots = settings.worker_slots
        multiplier = settings.celery_prefetch_multiplier(slots)
        cmd += [f"--pool={pool}", f"--concurrency={slots}", f"--prefetch-multiplier={multiplier}"]
    else:
        cmd += [f"--pool={pool}", f"--concurrency={settings.worker_processes}"]
    return [*cmd, *extra]


def main(argv: Sequence[str]) -> None:
    if argv[:1] == ["beat"]:  # the schedule is PERIODIC_S (beat_schedule in app.py)
        run([sys.executable, "-m", "celery", "-A", APP, "beat", "--loglevel=INFO", *argv[1:]])
    parser = argparse.ArgumentParser(
        prog="python -m workers_celery", add_help=False, allow_abbrev=False
    )
    parser.add_argument("-P", "--pool", default="prefork", choices=["prefork", "threads", "gevent"])
    parser.add_argument("-A", "--app", default=APP, help="another Celery app with these settings")
    known, extra = parser.parse_known_args(argv)
    run(command(get_settings(), known.pool, known.app, extra))


def run(cmd: list[str]) -> NoReturn:
    print("exec:", shlex.join(cmd[1:]), file=sys.stderr, flush=True)
    os.execv(sys.executable, cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
