"""`python -m leadscore.sandbox DATASET [--port N] [--faults SPEC] [--seed S] [--rate-limit 100/10] [--state-file F [--reset]]`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from leadscore.errors import LeadscoreError
from leadscore.sandbox.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--faults", default=None, help="e.g. 429=0.05,5xx=0.05,timeout=0.02,drop=0.02,malformed=0.02,partial=0.1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout-seconds", type=float, default=35.0, help="delay of a 'timeout' fault")
    parser.add_argument("--rate-limit", default=None, help="burst bucket, e.g. 100/10")
    parser.add_argument("--search-rate-limit", type=int, default=None, help="search requests per second, e.g. 4")
    parser.add_argument("--daily-limit", type=int, default=None)
    parser.add_argument("--index-lag-seconds", type=float, default=0.0)
    parser.add_argument("--state-file", type=Path, default=None,
                        help="keep CRM writes in this SQLite file across restarts (default: in memory only)")
    parser.add_argument("--reset", action="store_true", help="forget the CRM writes kept in --state-file first")
    args = parser.parse_args()
    try:
        serve(args.dataset, args.host, args.port, args.faults, args.seed, args.rate_limit, args.search_rate_limit,
              args.daily_limit, args.index_lag_seconds, args.timeout_seconds, state_file=args.state_file,
              reset_state=args.reset)
    except (LeadscoreError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
