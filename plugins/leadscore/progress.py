"""What a person sees while `dag.test()` runs: a line per finished step, not 850 log lines.

`dag.test()` runs every task in this process, so Airflow's, Cosmos' and dbt's output (dbt
writes to the terminal itself, not through `logging`) all land on our stdout and stderr.
`captured_output` moves file descriptors 1 and 2 to a log file for the run (subprocesses and C
code included) and hands back a console on the real terminal. `RunProgress` polls the
metadata DB for task states: it does not depend on how Airflow configures logging per task.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from rich.console import Console
from rich.text import Text

from leadscore.report import safe_text

FINISHED = {"success", "failed", "upstream_failed", "skipped", "removed"}
MARKS = {"success": ("✓", "green"), "failed": ("✗", "red"), "upstream_failed": ("·", "dim"),
         "skipped": ("·", "dim"), "removed": ("·", "dim")}
DBT_SUFFIXES = (("_model_build", "model"), ("_snapshot_build", "snapshot"), ("_seed_build", "seed"), ("_test", "test"))


@contextmanager
def captured_output(log_path: Path) -> Iterator[Console]:
    """Send fds 1 and 2 to `log_path` for the block; yield a Console on the original stdout."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    with open(log_path, "wb") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield Console(file=terminal)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            terminal.close()


def step_name(task_id: str) -> tuple[str | None, str]:
    """('dbt', 'model lead_scores') for a Cosmos task; (None, task_id) for the others."""
    group, dot, name = task_id.partition(".")
    if not dot:
        return None, task_id
    for suffix, kind in DBT_SUFFIXES:
        if name.endswith(suffix):
            return group, f"{kind} {name[: -len(suffix)]}"
    return group, name


@dataclass
class Step:
    task_id: str
    state: str | None
    seconds: float | None = None


@dataclass
class ProgressState:
    """Turns successive snapshots of the run's task states into lines to print once each:
    a line per finished task, one line per task group (dbt) when the whole group is done."""

    records: dict[str, tuple[int, float]] = field(default_factory=dict)  # extract stream → (records, seconds)
    _printed: set[str] = field(default_factory=set)

    def lines(self, steps: list[Step]) -> list[Text]:
        out: list[Text] = []
        groups: dict[str, list[Step]] = {}
        for step in steps:
            group, _ = step_name(step.task_id)
            if group:
                groups.setdefault(group, []).append(step)
            elif step.state in FINISHED and step.state != "upstream_failed" and step.task_id not in self._printed:
                self._printed.add(step.task_id)
                out.append(self._line(step))
        for group, members in groups.items():
            for step in members:  # a failed model is worth its own line at once
                if step.state == "failed" and step.task_id not in self._printed:
                    self._printed.add(step.task_id)
                    out.append(self._line(step))
            if group not in self._printed and all(s.state in FINISHED for s in members) \
                    and any(s.state != "upstream_failed" for s in members):
                self._printed.add(group)
                out.append(self._group_line(group, members))
        return out

    def _line(self, step: Step) -> Text:
        mark, style = MARKS.get(step.state, ("?", ""))
        line = Text.assemble((mark, style), " ", safe_text(step.task_id))
        if step.state != "success":
            line.append(f" {step.state}", style=style)
        if step.seconds is not None:
            line.append(f"  {step.seconds:.1f} s", style="dim")
        stream = step.task_id.removeprefix("extract_")
        if stream in self.records:
            n, seconds = self.records[stream]
            rate = f", {n / seconds:,.0f}/s" if seconds else ""
            line.append(f"  {n:,} record{'s' if n != 1 else ''}{rate}")
        return line

    @staticmethod
    def _group_line(group: str, members: list[Step]) -> Text:
        kinds: dict[str, int] = {}
        for s in members:
            if s.state == "success":
                kind = step_name(s.task_id)[1].split(" ", 1)[0]
                kinds[kind] = kinds.get(kind, 0) + 1
        failed = sum(s.state == "failed" for s in members)
        seconds = sum(s.seconds or 0 for s in members)
        mark, style = MARKS["failed" if failed else "success"]
        built = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(kinds.items()))
        line = Text.assemble((mark, style), " ", safe_text(group), f": {built or 'nothing'} built")
        if failed:
            line.append(f", {failed} failed", style=style)
        line.append(f"  {seconds:.1f} s", style="dim")
        return line

    @staticmethod
    def status(steps: list[Step], started: float) -> str:
        done = sum(s.state in FINISHED for s in steps)
        running = [step_name(s.task_id) for s in steps if s.state in ("running", "queued")]
        now = ", ".join(f"{g} {n}" if g else n for g, n in running) or "scheduling"
        return f"lead_scoring_daily: {done}/{len(steps) or '?'} tasks done, {time.monotonic() - started:.0f} s — {now}"


class RunProgress:
    """Polls the newest run of `dag_id` started after `since` and prints its progress."""

    def __init__(self, console: Console, dag_id: str, interval: float = 0.5):
        self.console, self.dag_id, self.interval = console, dag_id, interval
        self.since = datetime.now(timezone.utc)
        self.state = ProgressState()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="leadscore-progress", daemon=True)
        self._status = None
        self._run_id: str | None = None

    def __enter__(self) -> "RunProgress":
        self._started = time.monotonic()
        self._status = self.console.status("loading the DAG (Cosmos renders the dbt project)…")
        self._status.start()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._tick()  # the last states, after dag.test() returned
        self._status.stop()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._tick()
            except Exception:  # noqa: BLE001 - a busy SQLite or a half-configured ORM: try again next tick
                continue

    def _engine(self):
        settings = sys.modules.get("airflow.settings")  # configured by the run itself; never import it early
        return getattr(settings, "engine", None)

    def _tick(self) -> None:
        engine = self._engine()
        if engine is None:
            return
        from sqlalchemy import text

        with engine.connect() as conn:
            if self._run_id is None:
                row = conn.execute(text("select run_id, run_after from dag_run where dag_id = :d order by id desc limit 1"),
                                   {"d": self.dag_id}).fetchone()
                if row is None or _aware(row[1]) < self.since:
                    return
                self._run_id = row[0]
            steps = [Step(t, s, d) for t, s, d in conn.execute(text(
                "select task_id, state, duration from task_instance where dag_id = :d and run_id = :r order by priority_weight desc, task_id"),
                {"d": self.dag_id, "r": self._run_id}).fetchall()]
        self._read_records(steps)
        for line in self.state.lines(steps):
            self.console.print(line)
        self._status.update(self.state.status(steps, self._started))

    def _read_records(self, steps: list[Step]) -> None:
        streams = [s.task_id.removeprefix("extract_") for s in steps
                   if s.task_id.startswith("extract_") and s.state == "success"
                   and s.task_id.removeprefix("extract_") not in self.state.records]
        if not streams:
            return
        from leadscore import warehouse

        with warehouse.connect() as conn:
            for stream, records, seconds in conn.execute(
                    "select stream, records, seconds from raw._extraction_runs where run_id = %s and stream = any(%s)",
                    (self._run_id, streams)).fetchall():
                self.state.records[stream] = (records, float(seconds or 0))


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
