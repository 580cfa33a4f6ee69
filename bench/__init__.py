"""The benchmark harness: spec (data) -> run (writes raw) -> analyse (writes the summary)
-> report, with the CLI (bench/cli/) over them.

It drives the system from outside: HTTP, SQL on the jobs table, process control, Locust,
RabbitMQ's and Postgres's own tools for the faults. One cell type looks inside: the job-cost
cell runs jobs through core.lifecycle in a process of its own, with no queue
(bench/run/loads/jobcost.py). Raw results are saved per run; the report only ever reads saved
results.
"""
