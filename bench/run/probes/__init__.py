"""What the harness looks at and records: the jobs table, RabbitMQ's queues (and its admin,
for the faults), the CPU and memory sampler, the fairness ledger and the machine."""
