"""Start the Taskiq worker as it is deployed: `python -m workers_taskiq [taskiq worker
options]`. `make worker-taskiq`, compose, the benchmark and the tests all start it this
way, so its command line is written once, here.

Sizes come from the settings: WORKER_PROCESSES processes of WORKER_SLOTS async tasks each
(the broker's qos reserves WORKER_PREFETCH messages per process). Messages are acked when
their task has run (late acknowledgement, as Celery's `task_acks_late`). Any other option is
passed on to `taskiq worker`, after ours: a later option wins.

`python -m workers_taskiq scheduler [taskiq scheduler options]` starts the scheduler
(workers_taskiq/scheduler.py) instead.
"""

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from typing import NoReturn

from core.settings import Settings, get_settings

BROKER = "workers_taskiq.broker:broker"
SCHEDULER = "workers_taskiq.scheduler:scheduler"
TASKS = "workers_taskiq.tasks"


def command(settings: Settings, tasks: str, extra: Sequence[str]) -> list[str]:
    return [
        *(sys.executable, "-m", "taskiq", "worker", BROKER, tasks),
        *("--workers", str(settings.worker_processes)),
        *("--max-async-tasks", str(settings.worker_slots)),
        *("--ack-type", "when_executed", *extra),
    ]


def main(argv: Sequence[str]) -> None:
    if argv[:1] == ["scheduler"]:
        run([sys.executable, "-m", "taskiq", "scheduler", SCHEDULER, *argv[1:]])
    parser = argparse.ArgumentParser(
        prog="python -m workers_taskiq", add_help=False, allow_abbrev=False
    )
    parser.add_argument("--tasks", default=TASKS, help="another task module on this broker")
    known, extra = parser.parse_known_args(argv)
    run(command(get_settings(), known.tasks, extra))


def run(cmd: list[str]) -> NoReturn:
    print("exec:", shlex.join(cmd[1:]), file=sys.stderr, flush=True)
    os.execv(sys.executable, cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
