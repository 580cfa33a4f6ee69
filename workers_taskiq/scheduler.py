"""The Taskiq scheduler: `python -m taskiq scheduler workers_taskiq.scheduler:scheduler`
(`make scheduler-taskiq`). It sends a `periodic_tick` for each task in PERIODIC_S, every
PERIODIC_S[task] seconds, stamped with the time it was sent (core/periodic.py)."""

import time

from taskiq import ScheduledTask, ScheduleSource, TaskiqScheduler

from core.periodic import TICK_TASK
from core.settings import Settings
from workers_taskiq.broker import broker, settings


class PeriodicSource(ScheduleSource):
    """PERIODIC_S as Taskiq interval schedules (the settings are the one definition)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def get_schedules(self) -> list[ScheduledTask]:
        return [
            ScheduledTask(
                task_name=TICK_TASK,
                labels={},
                args=[],
                kwargs={"task": task.value},
                interval=every_s,
                schedule_id=f"periodic-{task.value}",
            )
            for task, every_s in self.settings.periodic_s.items()
        ]

    def pre_send(self, task: ScheduledTask) -> None:
        """Stamp this send: the worker keys the job by the window it falls in."""
        task.kwargs = {**task.kwargs, "tick_at": time.time()}


scheduler = TaskiqScheduler(broker, [PeriodicSource(settings)])
