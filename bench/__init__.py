"""The benchmark harness: scenarios (data), orchestrator, analysis, report.

Drives the system from outside only: HTTP, SQL on the jobs table, process control,
Locust. Raw results are saved per run; the report only ever reads saved results.
"""
