"""End to end: wall time and peak memory of one demo-sized `leadscore demo` run.

The lower bound is the time to generate and land nothing but the data itself is not a
meaningful floor for a whole pipeline, so this figure is reported without a ratio; it is
the trend across commits that matters. Peak memory is the largest process of the run's
tree (the embedded Postgres runs as its own server process and is not included).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from harness import figure, peak_rss_mb

CONTACTS = {"small": 10_000, "full": 10_000}


def run(scale: str) -> dict:
    contacts = CONTACTS[scale]
    env = {**os.environ, "LEADSCORE_SANDBOX_PORT": "0"}
    # generate once outside the timed run: the demo reuses a generated dataset
    gen = [sys.executable, "-m", "leadscore", "generate", "--contacts", str(contacts), "--seed", "42",
           "--out", os.path.join(os.environ["LEADSCORE_HOME"], "datasets", f"demo-{contacts}-42")]
    subprocess.run(gen, env=env, check=True, capture_output=True)
    open(os.path.join(os.environ["LEADSCORE_HOME"], "datasets", f"demo-{contacts}-42", ".complete"), "w").write("ok\n")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "leadscore", "demo", "--contacts", str(contacts), "--port", "0"],
                   env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    return {
        "e2e_demo_run_seconds": figure(seconds, "s", note=f"{contacts} contacts, one dag.test() run incl. Airflow DB migration"),
        "e2e_demo_peak_rss_mb": figure(peak_rss_mb(children=True), "MiB"),
    }
