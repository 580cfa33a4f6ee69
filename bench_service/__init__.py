"""What the benchmark adds to the service, apart from what users copy (core/, api/ and one
worker package): the probe jobs, the fault hooks, the run tag on jobs, the benchmark's API
app and worker modules, and the variants we measure but do not recommend.

Nothing in core/, api/, workers_celery/ or workers_taskiq/ imports this package (an
import-linter contract): it wraps or substitutes their parts, never hooks into them.
"""
