"""Taskiq worker: `taskiq worker workers_taskiq.broker:broker workers_taskiq.tasks`."""
