"""The processes a run starts and owns: the supervisor that starts and stops them, the stub
and API every cell shares, one variant's workers, and the delay proxy of the network cells."""
