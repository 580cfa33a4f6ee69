"""The old path of bench/run/probes/rabbit.py, kept only for tests outside bench/ that still
import it (tests/api/test_flow.py): remove once they import bench.run.probes.rabbit."""

from bench.run.probes.rabbit import local, memory_watermark, set_memory_watermark

__all__ = ["local", "memory_watermark", "set_memory_watermark"]
