"""The old path of the poison fault's publisher, kept only for a test outside bench/ that
still imports it (tests/e2e/test_poison.py): remove once it imports it from
bench.run.faults.broker."""

from bench.run.faults.broker import poison_messages

__all__ = ["poison_messages"]
