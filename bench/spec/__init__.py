"""What a run is, as data: variants, fairness modes, scenarios, load models, faults and
profiles. Imports nothing of the harness; everything else reads it."""
