"""FastAPI service: accepts jobs, records them, publishes them by task name."""
