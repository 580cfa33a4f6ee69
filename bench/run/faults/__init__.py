"""Faults injected mid-load, the same way for both backends: one injector per fault of
bench/spec/faults.py (registry.py), each saying what it needs here, what the API and workers
of its cell run with, and how it strikes. kills.py stops processes the harness owns;
broker.py and database.py break the shared parts. A fault strikes a third of the way into
its cell's load; one that finds nothing to break, or cannot be injected, makes the cell
invalid: it proves nothing and is left out of every count."""
