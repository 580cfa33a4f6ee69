"""Running a plan: the processes it needs, the load of each cell, the faults, the probes
(sampler, queue, jobs table). It writes raw records only (bench/raw.py); analysis and report
read them later, in bench/analyse and bench/report."""
