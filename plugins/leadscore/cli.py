"""The `leadscore` command line (Typer + Rich).

Every error the user can cause is printed as one line with the fix and exit code 1; an
unexpected error is printed as one line too (rerun with LEADSCORE_DEBUG=1 for the traceback).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.text import Text

from leadscore import settings
from leadscore.errors import ConfigError, LeadscoreError
from leadscore.report import safe_text
from leadscore.timestamps import parse_utc

app = typer.Typer(add_completion=False, no_args_is_help=True, help="leadscore: score B2B leads daily (HubSpot + Mailchimp → Postgres → dbt → back to the CRM).")
warehouse_app = typer.Typer(no_args_is_help=True, help="The embedded (or configured) Postgres warehouse.")
sandbox_app = typer.Typer(no_args_is_help=True, help="The offline HubSpot + Mailchimp sandbox.")
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(sandbox_app, name="sandbox")
airflow_app = typer.Typer(no_args_is_help=True, help="Airflow's own services on this home (scheduler, dag-processor, api-server).")
app.add_typer(airflow_app, name="airflow")
console = Console()
err_console = Console(stderr=True)


PORT_ENV = "LEADSCORE_SANDBOX_PORT"
DATASET_FILES = ("hubspot/contacts.ndjson", "mailchimp/lists.ndjson")


def flag(name: str, help: str) -> bool:
    """A boolean option that is a bare flag (`--verbose`, no `--no-verbose`)."""
    return typer.Option(False, name, help=help)


def _flags_take_no_value() -> None:
    """Typer 0.29's rich help prints `<bool>` after every flag (`--help` too), as if it took a
    value; a flag takes none, so its type column stays empty."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich
    TyperOption.display_type_rich = lambda self, ctx: None if self.is_flag else shown(self, ctx)


_flags_take_no_value()


def port_option(help: str) -> int:
    """--port, defaulting to LEADSCORE_SANDBOX_PORT when set (an explicit --port wins)."""
    return typer.Option(settings.DEFAULTS.sandbox_port, "--port", envvar=PORT_ENV, show_envvar=True, help=help)


def check_dataset(path: Path) -> Path:
    """A directory written by `leadscore generate` (or the demo), or a one-line error."""
    missing = [f for f in DATASET_FILES if not (path / f).is_file()]
    if missing:
        what = "does not exist" if not path.exists() else f"is not a leadscore dataset (no {', '.join(missing)})"
        raise LeadscoreError(f"dataset {path} {what}", "pass a directory written by `leadscore generate --out DIR`")
    return path


def parse_as_of(value: str) -> str:
    """An ISO 8601 timestamp, normalised (a naive one is UTC), or a one-line error: dbt puts it
    into SQL as a literal, so only what `datetime` parsed and printed again gets through."""
    ts = parse_utc(value, "--as-of")
    return ts.isoformat() if ts else ""


def demo_dataset_dir(contacts: int, seed: int) -> Path:
    return settings.home() / "datasets" / f"demo-{contacts}-{seed}"


def ensure_dataset(contacts: int, seed: int) -> Path:
    """Generate the synthetic dataset once per (size, seed); reused by later demos."""
    from leadscore.synthetic import generate

    out = demo_dataset_dir(contacts, seed)
    if not (out / ".complete").exists():
        with console.status(f"generating {contacts:,} synthetic contacts (seed {seed})…"):
            if out.exists():
                shutil.rmtree(out)
            generate(contacts=contacts, seed=seed, out_dir=out)
            (out / ".complete").write_text("ok\n")
    return out


def run_log_path() -> Path:
    return settings.home() / "logs" / "last-run.log"


def _run_pipeline(verbose: bool, **params) -> str:
    """Run the DAG once. Unless --verbose, Airflow's, Cosmos' and dbt's output goes to
    .leadscore/logs/last-run.log and the terminal shows one line per finished step."""
    from leadscore import airflow_runner
    from leadscore.progress import RunProgress, captured_output

    log_path = None if verbose else run_log_path()
    if verbose:
        dag_run = airflow_runner.run_daily(**params)
    else:
        console.print(Text.assemble("running lead_scoring_daily through Airflow (dag.test); full log: ",
                                    safe_text(log_path)), soft_wrap=True)
        with captured_output(log_path) as terminal, RunProgress(terminal, airflow_runner.DAG_ID):
            dag_run = airflow_runner.run_daily(**params)
    state = str(getattr(dag_run.state, "value", dag_run.state))
    if state != "success":
        failures = airflow_runner.failed_tasks(dag_run, log_path)
        raise LeadscoreError(f"lead_scoring_daily run {dag_run.run_id} ended {state}; {failures.line()}",
                             f"fix the cause ({'the task log above' if verbose else log_path} has the details) "
                             "and rerun (reruns are idempotent)")
    return dag_run.run_id


def _print_run(run_id: str) -> None:
    from leadscore.pipeline import build_summary
    from leadscore.report import print_summary

    print_summary(build_summary(run_id), console)


def _print_demo_backtest() -> None:
    """The demo's answer to "is the score any good?": the data scored as it stood 90 days before
    its newest day, against what converted since (`leadscore backtest` for more dates)."""
    from leadscore.backtest.report import paragraph
    from leadscore.backtest.runner import Request, run as run_request

    with console.status("backtesting the tiers as of 90 days ago…"):
        out = run_request(Request(horizon_days=90))
    console.print(paragraph(out.current, out.newest), markup=False, soft_wrap=True)


def _print_demo_model() -> None:
    """The demo trains the conversion model on the history it just loaded (as the weekly
    lead_scoring_training DAG does) and says how it ranked a date it never trained on."""
    from leadscore.model.train import TooFewConversions, rescore_marts, summary, train as train_model

    try:
        with console.status("training the conversion model on the history (leadscore train)…"):
            t = train_model()
            rescore_marts()
    except TooFewConversions as exc:
        _say("conversion model", str(exc))
        return
    console.print(summary(t), markup=False, soft_wrap=True)


def sandbox_state_file(dataset: Path) -> Path:
    from leadscore.sandbox.persist import state_path

    return state_path(settings.home(), dataset)


def _forget_sent() -> None:
    """The warehouse forgets what it sent, so the next sync rewrites every lead (a reset CRM)."""
    from leadscore import warehouse
    from leadscore.sync.state import forget_sent

    with warehouse.connect(p=warehouse.bootstrap()) as conn:
        forget_sent(conn)


def _save_crm_view(url: str) -> Path:
    """A static copy of what a CRM user saw (the contacts page with the synced tiers)."""
    import httpx

    page = httpx.get(f"{url}/", params={"per_page": 500}, timeout=60)
    page.raise_for_status()
    out = settings.home() / "crm_view.html"
    out.write_text(page.text, encoding="utf-8")
    return out


def _say(label: str, value: object) -> None:
    """`label: value` on one line however narrow the terminal (paths and URLs stay copyable)."""
    console.print(Text.assemble(label, ": ", safe_text(value)), soft_wrap=True)


@app.command()
def demo(contacts: int = typer.Option(settings.DEFAULTS.demo_contacts, help="Synthetic contacts to generate."),
         seed: int = typer.Option(settings.DEFAULTS.demo_seed, help="Seed of the synthetic dataset."),
         dataset: Optional[Path] = typer.Option(None, help="Serve this dataset (from `leadscore generate`) instead of generating one."),
         port: int = port_option("Loopback port of the sandbox APIs (0: any free)."),
         verbose: bool = flag("--verbose", "Show Airflow's, Cosmos' and dbt's logs instead of the progress lines.")) -> None:
    """Generate data, start the sandbox and the warehouse, run the daily DAG once, print a summary."""
    from leadscore import warehouse
    from leadscore.sandbox import SandboxServer

    dataset = check_dataset(dataset) if dataset else ensure_dataset(contacts, seed)
    p = warehouse.bootstrap()
    _say("warehouse", p.safe_url)
    # The sandbox CRM keeps its writes (like a real CRM) and the warehouse keeps what it sent:
    # both are kept, so a second demo sends only what changed. Only a CRM that holds none of
    # our writes (first demo, or its state was reset) makes the warehouse forget what it sent.
    with SandboxServer(dataset, port=port, state_file=sandbox_state_file(dataset)) as sandbox:
        if not sandbox.state.state_summary()["kept"]:
            _forget_sent()
        os.environ[PORT_ENV] = str(sandbox.port)
        _say("sandbox HubSpot + Mailchimp", f"{sandbox.url} (CRM writes kept in {sandbox.state_file})")
        run_id = _run_pipeline(verbose)
        _print_run(run_id)
        _print_demo_model()
        _print_demo_backtest()
        crm_view = _save_crm_view(sandbox.url)
    _say("CRM view (the sandbox's contacts page with the synced tiers)", crm_view)
    docs = settings.home() / "data_docs" / "index.html"
    if docs.exists():
        _say("Data Docs", docs)
    console.print("Next: `make airflow` runs the scheduler on this home (UI on http://127.0.0.1:8080); "
                  "`leadscore psql` queries the warehouse (try: select * from marts.lead_scores limit 10;); "
                  "`leadscore explain EMAIL` shows one lead's score breakdown.", markup=False)


@app.command()
def run(full_refresh: bool = flag("--full-refresh", "Rebuild raw and scores from scratch."),
        dry_run_sync: bool = flag("--dry-run-sync", "Log CRM changes without writing them."),
        force_sync: bool = flag("--force-sync", "Pass quality gates and the blast-radius guard."),
        as_of: str = typer.Option("", "--as-of", metavar="ISO", help="Score as of this time (e.g. 2026-12-01T06:00:00+00:00); default: the run's start."),
        verbose: bool = flag("--verbose", "Show Airflow's, Cosmos' and dbt's logs instead of the progress lines.")) -> None:
    """Run lead_scoring_daily once against the configured connections (or the running sandbox)."""
    as_of = parse_as_of(as_of)
    run_id = _run_pipeline(verbose, full_refresh=full_refresh, dry_run_sync=dry_run_sync, force_sync=force_sync,
                           as_of=as_of)
    _print_run(run_id)


def parse_days(value: str, option: str) -> int:
    """`30`, `30d` or `4w` → days, or a one-line error."""
    text = value.strip().lower()
    factor = 7 if text.endswith("w") else 1
    try:
        days = int(text.rstrip("dw")) * factor
    except ValueError:
        raise LeadscoreError(f"{option} {value!r} is not a number of days", f"pass e.g. {option} 30d") from None
    return days


@app.command()
def backtest(as_of: str = typer.Option("", "--as-of", metavar="ISO", help="Score every lead as it stood at this date (default: horizon days before the newest data)."),
             horizon_days: int = typer.Option(90, "--horizon-days", help="Count conversions this many days after each date."),
             every: str = typer.Option("", "--every", metavar="DAYS", help="Several dates, e.g. 30d (with --from and --to)."),
             start: str = typer.Option("", "--from", metavar="ISO", help="First date with --every."),
             end: str = typer.Option("", "--to", metavar="ISO", help="Last date with --every."),
             rules: Optional[Path] = typer.Option(None, "--rules", help="A candidate rules file to compare with the current rules (what-if)."),
             html: bool = flag("--html", "Also write a page with a lift chart, conversion by tier over time and a calibration plot.")) -> None:
    """Point-in-time backtest: score every lead as it stood at past dates, with the same dbt models,
    and show what each tier converted to in the horizon after each date."""
    from leadscore.backtest import report
    from leadscore.backtest.runner import Request, run as run_request

    if rules is not None and not rules.is_file():
        raise LeadscoreError(f"--rules {rules} is not a file", "pass a copy of dbt_project/scoring_rules.yml with your edits")
    req = Request(as_of=parse_utc(as_of, "--as-of"), horizon_days=horizon_days,
                  every_days=parse_days(every, "--every") if every else None,
                  start=parse_utc(start, "--from"), end=parse_utc(end, "--to"), rules_file=rules, html=html)
    with console.status("backtesting…") as status:
        out = run_request(req, on_date=lambda label, d: status.update(
            f"backtesting… {label} rules as of {d.as_of.date()} done in {d.seconds:.1f} s"))
    for d in out.current.dates:
        console.print(report.date_table(out.current, d))
    if out.candidate:
        console.print(report.comparison_table(out.current, out.candidate, out.changes))
    console.print(report.paragraph(out.current, out.newest), markup=False, soft_wrap=True)
    _say("stored in", f"marts.score_backtests (backtest_id {out.current.backtest_id})")
    if out.page:
        _say("page", out.page)


@app.command()
def train(horizon_days: int = typer.Option(90, "--horizon-days", help="Learn who converts within this many days."),
          every: str = typer.Option("30d", "--every", metavar="DAYS", help="Days between training dates."),
          history_days: int = typer.Option(450, "--history-days", help="How far back the oldest training date lies (before the test date)."),
          max_rows: int = typer.Option(200_000, "--max-rows-per-date", help="Sample non-converters down to about this many rows per date.")) -> None:
    """Learn the conversion probability from the warehouse's own outcomes (point in time, split by
    time), store it in marts.conversion_model and score marts.lead_scores with it."""
    from leadscore.backtest.engine import require_scored_warehouse
    from leadscore.model.train import rescore_marts, summary, train as train_model

    require_scored_warehouse()
    with console.status("training…") as status:
        t = train_model(horizon_days, parse_days(every, "--every"), history_days, max_rows,
                        on_date=lambda d, n, s: status.update(f"training… features as of {d.date()}: {n:,} leads in {s:.1f} s"))
        status.update("scoring marts.lead_scores with the new model…")
        rescore_marts()
    console.print(summary(t), markup=False, soft_wrap=True)


@app.command("recommend-thresholds")
def recommend_thresholds(
        sql_share: Optional[float] = typer.Option(None, "--sql-share", help="Sales capacity: at most this share of open leads in sql (e.g. 0.05)."),
        sql_count: Optional[int] = typer.Option(None, "--sql-count", help="Sales capacity as a number: at most this many of today's open leads in sql."),
        sql_lift: Optional[float] = typer.Option(None, "--sql-lift", help="sql must convert at least this many times the baseline (e.g. 4)."),
        mql_lift: float = typer.Option(2.0, "--mql-lift", help="mql must convert at least this many times the baseline."),
        mode: str = typer.Option("predicted", "--mode", help="predicted (the probability sets sql and mql), hybrid (hand-raises stay sql) or rules (the rules' mql gate: min_fit, min_engagement)."),
        out: Path = typer.Option(Path("candidate_rules.yml"), "--out", help="Where to write the candidate rules file."),
        backtest_id: str = typer.Option("", "--backtest-id", help="Read this backtest (default: the newest that has what the mode needs)."),
        what_if: bool = typer.Option(True, "--what-if/--no-what-if", help="Backtest the candidate beside the current rules.")) -> None:
    """Propose thresholds that meet a sales capacity or a minimum lift, from what the backtests
    measured (the probability's, or with --mode rules the rules' mql gate); write them as a
    candidate rules file and backtest it."""
    from leadscore.backtest import report
    from leadscore.backtest.runner import Request, run as run_request
    from leadscore.model import thresholds
    from leadscore.scoring.rules import default_path

    if mode not in ("predicted", "hybrid", "rules"):
        raise ConfigError(f"--mode {mode} is not predicted, hybrid or rules", "pass --mode predicted, hybrid or rules")
    if sql_count is not None:
        sql_share = thresholds.share_of_open_leads(sql_count)
    if mode == "rules":
        p = thresholds.recommend_rules(thresholds.load_gate_cells(backtest_id or None), sql_share=sql_share,
                                       sql_lift=sql_lift, mql_lift=mql_lift)
    else:
        bid, bins = thresholds.load_bins(backtest_id or None)
        p = thresholds.recommend(bins, sql_share=sql_share, sql_lift=sql_lift, mql_lift=mql_lift, backtest_id=bid)
    console.print(thresholds.proposal_table(p), markup=False)
    for note in p.notes:
        _say("note", note)
    path = thresholds.write_candidate(default_path(), out, mode, **p.thresholds)
    _say("candidate rules", path)
    if what_if:
        with console.status("backtesting the candidate beside the current rules…"):
            res = run_request(Request(as_of=p.dates[-1], rules_file=path, horizon_days=thresholds.horizon_of(p.backtest_id)))
        console.print(report.comparison_table(res.current, res.candidate, res.changes))
    _say("apply", f"copy the tiers lines of {path} into dbt_project/scoring_rules.yml (the next run scores with them)")


@app.command()
def extract(stream: Optional[list[str]] = typer.Option(None, "--stream", help="Only these streams (repeatable)."),
            full_refresh: bool = flag("--full-refresh", "Empty the streams' raw tables first."),
            run_id: Optional[str] = typer.Option(None, help="Run id recorded with the rows (default: cli-<timestamp>).")) -> None:
    """Extract streams into the warehouse's raw schema, with a progress bar per stream."""
    from datetime import datetime, timezone

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from leadscore import warehouse
    from leadscore.sources.extract import run_stream, stream_names

    names = stream or stream_names()
    run_id = run_id or "cli-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    warehouse.bootstrap()
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[line]}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        for name in names:
            task = progress.add_task(name, total=None, line="")
            summary = run_stream(name, run_id, full_refresh=full_refresh,
                                 on_page=lambda s, t=task: progress.update(t, line=f"{s.records:,} records, {s.pages} pages"))
            progress.update(task, total=1, completed=1, line=summary.line().split(": ", 1)[1])


@warehouse_app.command("start")
def warehouse_start() -> None:
    """Start the embedded warehouse (no-op for an external one) and create its schemas."""
    from leadscore import warehouse

    print(warehouse.bootstrap().safe_url)


@warehouse_app.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded warehouse."""
    from leadscore import warehouse

    console.print("stopped" if warehouse.stop() else "not running")


@warehouse_app.command("url")
def warehouse_url() -> None:
    """Print the warehouse URL (password masked); plain text for scripts, never wrapped."""
    from leadscore import warehouse

    print(warehouse.params().safe_url)


@app.command()
def psql(command: Optional[str] = typer.Option(None, "-c", help="Run one SQL command and exit.")) -> None:
    """Open psql on the warehouse."""
    from leadscore import warehouse

    p = warehouse.params()
    binary = shutil.which("psql")
    if warehouse.is_embedded():
        import pgserver

        binary = str(Path(pgserver.__file__).parent / "pginstall" / "bin" / "psql")
    if not binary:
        raise LeadscoreError("psql is not installed", "install the PostgreSQL client (e.g. apt-get install postgresql-client)")
    env = {**os.environ, "PGPASSWORD": p.password} if p.password else dict(os.environ)
    url = p.url.replace(":" + p.password + "@", "@") if p.password else p.url
    # -c: stop at the first failing statement and exit 3 (psql's default is to carry on and exit 0)
    args = [binary, url] + (["-v", "ON_ERROR_STOP=1", "-c", command] if command else [])
    raise typer.Exit(subprocess.call(args, env=env))  # psql's exit code; psql printed the one-line reason


@sandbox_app.command("serve")
def sandbox_serve(dataset: Optional[Path] = typer.Option(None, help="Dataset directory (default: the demo dataset)."),
                  host: str = typer.Option("127.0.0.1", help="Interface to bind (0.0.0.0 inside a container)."),
                  port: int = port_option("Port of the sandbox APIs."),
                  faults: Optional[str] = typer.Option(None, help="e.g. 429=0.05,5xx=0.05,timeout=0.02,drop=0.02"),
                  seed: int = typer.Option(0, help="Seed of the fault sequence."),
                  rate_limit: Optional[str] = typer.Option(None, help="e.g. 100/10 (requests per seconds); off by default"),
                  reset: bool = typer.Option(False, "--reset", help="Forget the CRM writes kept from earlier runs "
                                             "(and the warehouse's record of what it sent).")) -> None:
    """Serve the sandbox HubSpot + Mailchimp APIs on loopback until Ctrl-C; CRM writes are kept across restarts."""
    from leadscore.sandbox import serve

    dataset = check_dataset(dataset) if dataset else ensure_dataset(settings.DEFAULTS.demo_contacts, settings.DEFAULTS.demo_seed)
    state_file = sandbox_state_file(dataset)
    if reset:
        _forget_sent()  # else the next sync would skip every lead it believes the CRM already has
    serving = Text.assemble("serving ", safe_text(dataset), f" on http://{host}:{port}, CRM writes kept in ",
                            safe_text(state_file), " (reset)" if reset else "", " (Ctrl-C stops)")
    serve(dataset, host=host, port=port, faults=faults, seed=seed, rate_limit=rate_limit, state_file=state_file,
          reset_state=reset, on_ready=lambda: console.print(serving, soft_wrap=True))


@airflow_app.command("prepare")
def airflow_prepare() -> None:
    """Migrate the metadata DB, create the pools, parse the dbt manifest, unpause the DAG (idempotent)."""
    from leadscore.airflow_runner import prepare

    _say("Airflow home ready", prepare())


@airflow_app.command("serve")
def airflow_serve(port: int = typer.Option(8080, "--port", help="Port of the Airflow UI and API."),
                  host: str = typer.Option("127.0.0.1", help="Interface to bind (0.0.0.0 to open it to the network)."),
                  sandbox_port: int = port_option("Port of the sandbox APIs (started unless a HubSpot connection is set).")) -> None:
    """Run the scheduler, dag-processor and api-server (LocalExecutor) until Ctrl-C; the DAG runs daily."""
    import contextlib
    import time

    from leadscore.airflow_local import LocalAirflow, admin_password
    from leadscore.airflow_runner import DAG_ID
    from leadscore.connections import get_connection

    with contextlib.ExitStack() as stack:
        if get_connection("hubspot") is None:
            from leadscore.sandbox import SandboxServer

            dataset = ensure_dataset(settings.DEFAULTS.demo_contacts, settings.DEFAULTS.demo_seed)
            sandbox = stack.enter_context(SandboxServer(dataset, port=sandbox_port, state_file=sandbox_state_file(dataset)))
            os.environ[PORT_ENV] = str(sandbox.port)
            _say("sandbox HubSpot + Mailchimp (CRM contacts page)", f"{sandbox.url}/")
        else:
            _say("sources", "the configured AIRFLOW_CONN_HUBSPOT / AIRFLOW_CONN_MAILCHIMP (no sandbox started)")
        console.print("starting Airflow (scheduler, dag-processor, api-server)…", soft_wrap=True)
        services = stack.enter_context(LocalAirflow(port=port, host=host))
        services.api().wait_for_dag(DAG_ID)
        _say("Airflow UI", f"{services.url}/dags/{DAG_ID}")
        _say("login", f"admin / {admin_password()}")
        _say("service logs", services.log_dir)
        console.print(f"{DAG_ID} is unpaused and runs on its schedule; trigger a run from the UI. Ctrl-C stops.",
                      markup=False, soft_wrap=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                services.check_alive()
                time.sleep(2)
        console.print("stopping Airflow…")


@app.command()
def generate(contacts: int = typer.Option(settings.DEFAULTS.demo_contacts),
             seed: int = typer.Option(settings.DEFAULTS.demo_seed),
             out: Path = typer.Option(..., help="Output directory.")) -> None:
    """Write a synthetic HubSpot + Mailchimp dataset (NDJSON) with ground truth."""
    from leadscore.synthetic import generate as gen

    with console.status(f"generating {contacts:,} contacts…"):
        gen(contacts=contacts, seed=seed, out_dir=out)
    _say("dataset written to", out)


@app.command()
def explain(lead: str = typer.Argument(..., help="Email or CRM id of the lead.")) -> None:
    """Print one lead's full score breakdown (every factor and its points) and, once a conversion
    model is trained, its conversion probability and the model terms that moved it most."""
    from leadscore.scoring.explain import explain as explain_lead, render_explanation

    console.print(render_explanation(explain_lead(lead)))


@app.command(context_settings={"ignore_unknown_options": True})
def dbt(args: list[str] = typer.Argument(None, metavar="DBT_ARGS", help="dbt's own command and options.")) -> None:
    """Run dbt on dbt_project/ as the pipeline does, e.g. `leadscore dbt build --select lead_scores`:
    the warehouse's connection and the validated dbt_project/scoring_rules.yml are set for it."""
    from leadscore.scoring.dbt import run_dbt

    if not args:
        raise LeadscoreError("no dbt command given", "e.g. `leadscore dbt build` or `leadscore dbt run --select lead_scores`")
    run_dbt(args)


@app.command()
def bench(scale: str = typer.Option("small", help="small (minutes) or full (1M contacts; hours)")) -> None:
    """Run the benchmarks and write bench/results/latest.json."""
    raise typer.Exit(subprocess.call([sys.executable, str(settings.project_root() / "bench" / "run.py"), "--scale", scale]))


def _error(message: Text | str) -> None:
    err_console.print(Text.assemble(("error:", "red"), " ", safe_text(message)), soft_wrap=True)


def main() -> None:
    """Entry point: usage errors as Typer prints them (exit 2), user errors as one line (exit 1),
    bare `leadscore` (or a bare group) shows its help (exit 0)."""
    from typer import rich_utils
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    settings.disable_telemetry()
    settings.private_files()
    try:
        code = app(standalone_mode=False)  # returns the code of a `typer.Exit` (psql, bench)
    except NoArgsIsHelpError:
        code = 0  # the help is printed already
    except ClickException as exc:
        rich_utils.rich_format_error(exc)
        code = exc.exit_code
    except LeadscoreError as exc:
        _error(str(exc))
        code = 1
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
    except (typer.Abort, KeyboardInterrupt):
        code = 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence against bare tracebacks
        if os.environ.get("LEADSCORE_DEBUG"):
            raise
        _error(f"{type(exc).__name__}: {exc} (rerun with LEADSCORE_DEBUG=1 for the traceback)")
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
