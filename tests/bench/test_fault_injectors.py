"""The faults the spec names (bench/spec/faults.py) and the harness's injectors
(bench/run/faults/) are the same faults: one injector each, none without a spec."""

from collections import Counter

from bench.run.faults import registry
from bench.run.faults.injector import Injector
from bench.spec.faults import NAMES


def test_every_spec_fault_has_exactly_one_injector_and_every_injector_a_spec() -> None:
    assert Counter(i.name for i in registry.ALL) == Counter(NAMES)


def concrete(cls: type[Injector]) -> set[type[Injector]]:
    """Every subclass with a fault's name (ThroughProxy is a base, not a fault)."""
    found = set()
    for sub in cls.__subclasses__():
        found |= concrete(sub) | ({sub} if "name" in vars(sub) else set())
    return found


def test_every_injector_class_is_registered() -> None:
    classes = {type(i) for i in registry.ALL}
    assert concrete(Injector) == classes


def test_only_the_api_kill_changes_the_api_and_what_every_process_reads() -> None:
    # before their cell: the connection faults route the API only once their proxy is up
    changes_api = [i.name for i in registry.ALL if i.api_env()]
    assert changes_api == ["api-kill"]
    assert registry.INJECTORS["api-kill"].api_env() == {"TEST_PUBLISH_DELAY_MS": "300"}
    assert registry.run_env() == {"OUTBOX_GRACE_S": "12"}
