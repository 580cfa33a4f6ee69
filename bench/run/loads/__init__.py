"""The load of a cell, one module per way of making it: the drain's backlog, the load Locust
drives (closed, open, latency, enqueue, fault) with its users, and the in-process job cost."""
