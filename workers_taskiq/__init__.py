"""Taskiq worker: `python -m workers_taskiq` (it runs `taskiq worker
workers_taskiq.broker:broker workers_taskiq.tasks` with the settings' sizes and late acks:
__main__.py)."""
