"""New / old per backend from compare_enqueue.sh lines on stdin, paired by repetition."""

import re
import sys
from collections import defaultdict

from bench.report_format import ratio
from bench.stats import RATIO_METHOD, paired_ratio

rps: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
cpu: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
for line in sys.stdin:
    f = dict(re.findall(r"(\w+)=(\S+)", line))
    if "rps" in f:
        key = (f["backend"], f["side"])
        rps[key][int(f["rep"])] = float(f["rps"])
        cpu[key][int(f["rep"])] = float(f["api_cpu_ms_per_job"])
print(f"new / old, geometric mean [{RATIO_METHOD}, 95%]:")
for backend in sorted({b for b, _ in rps}):
    reps = sorted(set(rps[backend, "new"]) & set(rps[backend, "old"]))
    for name, table in (("accepted jobs/s", rps), ("API CPU ms/job", cpu)):
        new = [table[backend, "new"][r] for r in reps]
        old = [table[backend, "old"][r] for r in reps]
        print(
            f"  {backend} {name}: {ratio(paired_ratio(new, old))} "
            f"(old {min(old)}-{max(old)}, new {min(new)}-{max(new)}, {len(reps)} pairs)"
        )
