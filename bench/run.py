"""`make bench`: run every benchmark module and write bench/results/latest.json (small scale)
and bench/results/<scale>-<date>.json.

Each module (bench/bench_*.py) exposes `run(scale) -> {figure name: figure dict}` and runs in
its own subprocess, so one benchmark's memory peak does not leak into another's figure.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
MODULES = ["bench_e2e", "bench_scheduler", "bench_extract", "bench_sandbox", "bench_scoring", "bench_backtest", "bench_model", "bench_quality", "bench_sync", "bench_sync_step"]


def run_module(name: str, scale: str) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"leadscore-{name}-") as home, \
            tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        env = {**os.environ, "LEADSCORE_HOME": home, "PYTHONPATH": str(BENCH_DIR)}
        code = (f"import json, {name}; from leadscore import warehouse\n"
                f"try:\n    res = {name}.run({scale!r})\nfinally:\n    warehouse.stop()\n"
                f"json.dump(res, open({out.name!r}, 'w'))")
        proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=BENCH_DIR.parent)
        if proc.returncode != 0:
            return {f"{name}_error": {"value": None, "unit": "error", "note": f"exit {proc.returncode}"}}
        return json.load(open(out.name))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--only", nargs="*", default=None, help="module names, e.g. bench_sync")
    args = parser.parse_args()
    modules = [m for m in MODULES if (BENCH_DIR / f"{m}.py").exists() and (not args.only or m in args.only)]
    figures: dict = {}
    for name in modules:
        print(f"== {name} ({args.scale})", flush=True)
        result = run_module(name, args.scale)
        for key, fig in result.items():
            print(f"   {key}: {fig.get('value')} {fig.get('unit', '')}"
                  + (f" (ratio {fig['ratio']})" if fig.get("ratio") is not None else ""), flush=True)
        figures.update(result)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    doc = {
        "scale": args.scale,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit or None,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "figures": figures,
    }
    results = BENCH_DIR / "results"
    results.mkdir(exist_ok=True)
    latest = results / "latest.json"
    dated = results / f"{args.scale}-{doc['generated_at'][:10]}.json"
    if args.only:
        # a partial rerun refreshes its own figures and keeps the others of its scale: those of
        # the newest results file of that scale
        same_scale = sorted(p for p in results.glob(f"{args.scale}-*.json")
                            if re.fullmatch(rf"{args.scale}-\d{{4}}-\d{{2}}-\d{{2}}\.json", p.name))  # by date
        if same_scale:
            previous = json.loads(same_scale[-1].read_text())
            doc["figures"] = {**previous.get("figures", {}), **figures}
    text = json.dumps(doc, indent=2, sort_keys=True)
    dated.write_text(text + "\n")
    print(f"wrote {dated}")
    if args.scale == "small":  # latest.json is `make bench`'s run; the 1M runs keep their dated files
        latest.write_text(text + "\n")
        print(f"wrote {latest}")
    return 0 if not any(k.endswith("_error") for k in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
