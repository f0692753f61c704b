"""Benchmark harness: repeat a measurement, keep the median, relate it to a lower bound.

Machines are noisy, so every figure is the median of several runs and, where a natural
lower bound exists (a plain COPY, a count(*) scan, a hand-written query, a rate limit's
floor), that bound is measured in the same run and reported as a ratio.
"""
from __future__ import annotations

import os
import resource
import statistics
import time
from typing import Callable


def median_seconds(fn: Callable[[], object], runs: int = 3, setup: Callable[[], object] | None = None) -> tuple[float, list[float]]:
    samples = []
    for _ in range(runs):
        if setup:
            setup()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def figure(value: float, unit: str, *, lower_bound: float | None = None, runs: int = 1,
           samples: list[float] | None = None, note: str | None = None) -> dict:
    out: dict = {"value": round(value, 6), "unit": unit, "runs": runs}
    if samples:
        out["samples"] = [round(s, 6) for s in samples]
    if lower_bound is not None:
        out["lower_bound"] = round(lower_bound, 6)
        out["ratio"] = round(value / lower_bound, 4) if lower_bound else None
    if note:
        out["note"] = note
    return out


def peak_rss_mb(children: bool = False) -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return usage.ru_maxrss / 1024  # Linux reports KiB


def cpu_count() -> int:
    return os.cpu_count() or 1
