"""Running a plan (plan.py, session.py): the processes it needs (processes/), the load of
each cell (loads/), the faults (faults/), the probes (probes/: sampler, queues, jobs table).
It writes raw records only (bench/raw.py); analysis and report read them later, in
bench/analyse and bench/report."""
