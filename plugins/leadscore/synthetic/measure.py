"""Measurements of generated data: the time and peak memory of a run (for the benchmarks) and
the base conversion rate within a horizon (what a backtest's lift is measured against).

The generation runs in a fresh child process so its peak RSS is its own (ru_maxrss is a
high-water mark for the whole process and would otherwise include the caller's history).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable


def measure_generate(contacts: int, seed: int, out_dir: Path, dirt_rate: float = 0.03) -> dict[str, float]:
    """{'seconds', 'peak_rss_mb', 'records'} of `generate(contacts, seed, out_dir)` in a child process."""
    code = ("import sys, json; from pathlib import Path; from leadscore.synthetic import generate; "
            "meta = generate(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4])); "
            "print(json.dumps(sum(meta['files'].values())))")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, str(contacts), str(seed), str(out_dir), str(dirt_rate)],
                            stdout=subprocess.PIPE, env=os.environ.copy())
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"generation of {contacts} contacts failed with exit code {proc.returncode}")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "records": float(json.loads(output))}


def horizon_conversion(truth: Iterable[dict], at: datetime, horizon_days: int = 90) -> dict[str, float]:
    """Of the leads that existed at `at` and had not converted by then, how many converted within
    the next `horizon_days` (read from ground_truth.ndjson rows; duplicate records are not leads).
    This is the base rate a backtest at `at` measures lift against: {'leads', 'converted', 'rate'}."""
    start = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    end = (at + timedelta(days=horizon_days)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    leads = converted = 0
    for row in truth:
        if row.get("duplicate_of") or row["created_at"] > start:
            continue
        done = row.get("converted_at")
        if done and done <= start:
            continue
        leads += 1
        converted += bool(done and done <= end)
    return {"leads": float(leads), "converted": float(converted), "rate": converted / leads if leads else 0.0}


def propensity_at(row: dict, at: datetime) -> float:
    """The generator's hidden interest level of a contact at `at` (its propensity_path segment
    then; 0 before it existed)."""
    stamp = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    level = 0.0
    for start, lvl, _kind in row.get("propensity_path") or []:
        if start[:19] > stamp:
            break
        level = lvl
    return level


def true_propensity_auc(truth: Iterable[dict], outcomes: dict[str, bool], at: datetime) -> dict[str, float]:
    """How well the generator's own hidden truth ranks the leads a backtest judged at `at`
    (`outcomes`: contact id -> converted within the horizon): the AUC of the interest level at
    `at` and of the contact's lifetime potential. What no model on observed data can beat."""
    from sklearn.metrics import roc_auc_score

    level, potential, y = [], [], []
    for row in truth:
        if row["contact_id"] in outcomes:
            level.append(propensity_at(row, at))
            potential.append(row["propensity"])
            y.append(outcomes[row["contact_id"]])
    if len(set(y)) < 2:
        return {"auc_level": float("nan"), "auc_potential": float("nan"), "leads": float(len(y))}
    return {"auc_level": float(roc_auc_score(y, level)), "auc_potential": float(roc_auc_score(y, potential)),
            "leads": float(len(y))}
