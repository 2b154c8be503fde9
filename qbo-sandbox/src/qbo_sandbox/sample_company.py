"""The sample company's public entry points, kept where callers import them from.

The generator lives in the :mod:`qbo_sandbox.sample` package (tables in ``sample.data``, a module
per domain, the coordinator in ``sample.generator``); this module re-exports what the CLI, the
test helpers and the benchmarks use.
"""

from __future__ import annotations

from .sample import COMPANY_NAME, DEFAULT_SIZE, MIN_SIZE, TXN_WEIGHTS, YIELD_ORDER, Payload, generate

__all__ = ["COMPANY_NAME", "DEFAULT_SIZE", "MIN_SIZE", "TXN_WEIGHTS", "YIELD_ORDER", "Payload", "generate"]
