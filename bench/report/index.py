"""Indexes over one saved Summary, in the order the profile ran things; its comparisons as a
second session's reading has them, where there is one."""

from bench.replication import Replication
from bench.report.format import group_key
from bench.report.replication import read
from bench.spec.models import Model, Purpose
from bench.spec.variants import MODES, order_key
from bench.summary import CellResult, Comparison, Group, Summary

Key = tuple[str, str, float]  # scenario, model, load


def _main(item: CellResult | Group) -> bool:
    """A cell or group of the throughput answer (latency cells have their own section)."""
    return item.purpose == Purpose.main and item.model != Model.latency


class Run:
    def __init__(self, summary: Summary, replication: Replication | None = None) -> None:
        self.s, self.replication = summary, replication
        main = [c for c in summary.cells if c.purpose == Purpose.main]
        self.scenarios = list(dict.fromkeys(c.scenario for c in main))
        self.groups = {
            (g.scenario, g.model, g.load, g.variant): g for g in summary.groups if _main(g)
        }
        # A second session's reading of them (its widened intervals), if there was one
        at_once = (
            read(replication).comparisons
            if replication is not None
            else [c for c in summary.comparisons if c.rtt_ms is None]
        )
        self.main_comparisons = [c for c in at_once if c.model != Model.latency]
        self.latency_comparisons = [c for c in at_once if c.model == Model.latency]
        self.comparisons = {(c.scenario, c.model, c.load, c.mode): c for c in self.main_comparisons}
        self.modes = [m for m in MODES if any(c.mode == m.key for c in at_once)]

    def loads(self) -> list[Key]:
        """(scenario, model, load) of the main cells: scenarios as run, then drain, closed, ..."""
        order = {s: i for i, s in enumerate(self.scenarios)}
        found = {(c.scenario, c.model, c.load) for c in self.s.cells if _main(c)}
        return sorted(found, key=lambda k: (order[k[0]], *group_key(k[1], k[2])))

    def latency_group(self, scenario: str, load: float, variant: str, against: str) -> Group | None:
        return next(
            (
                g
                for g in self.s.groups
                if g.purpose == Purpose.main and g.model == Model.latency
                and (g.scenario, g.load, g.variant, g.against) == (scenario, load, variant, against)
            ),
            None,
        )  # fmt: skip

    def latency_cells(self, group: Group) -> list[CellResult]:
        return [
            c for c in self.s.cells
            if c.purpose == Purpose.main and c.model == Model.latency
            and (c.scenario, c.load, c.variant, c.against)
            == (group.scenario, group.load, group.variant, group.against)
        ]  # fmt: skip

    def variants(self, key: Key) -> list[Group]:
        found = [g for (s, m, ld, _), g in self.groups.items() if (s, m, ld) == key]
        return sorted(found, key=lambda g: order_key(g.variant))

    def comparison(self, key: Key, mode: str) -> Comparison | None:
        return self.comparisons.get((*key, mode))

    def cells(self, key: Key, variant: str | None = None) -> list[CellResult]:
        return sorted(
            (
                c
                for c in self.s.cells
                if c.purpose == Purpose.main
                and (c.scenario, c.model, c.load) == key
                and variant in (None, c.variant)
            ),
            key=lambda c: (order_key(c.variant), c.rep),
        )


def widened_note(run: Run, figure: str) -> str:
    """Said where a second session showed more spread than this run's intervals."""
    rep = run.replication
    if rep is None or not rep.widen.get(figure):
        return ""
    return (
        f" Every {figure} ratio here is read on its interval widened by the between-session SD "
        f'of {rep.tau[figure]:.3f} that a second run showed (see "Does it replicate?").'
    )
