"""`make docs`: build dbt docs and GX Data Docs under LEADSCORE_HOME as pages that open from a
file with no network, print where they are, and open them when there is a browser to open.

dbt docs are generated with `--static`: one `static_index.html` with manifest and catalog
embedded (the plain index.html fetches its JSON and fails from file://). The GX site is
re-rendered from every stored validation result (see quality/data_docs.py).
"""
from __future__ import annotations

import os
import sys
import webbrowser
from pathlib import Path

from leadscore import settings, warehouse
from leadscore.errors import LeadscoreError
from leadscore.orchestration import export_dbt_env


def build_dbt_docs() -> Path:
    """Compiled SQL needs the incremental models built (compiling them queries their tables);
    before the first run the docs are built from the parsed project, without compiled SQL."""
    from leadscore.scoring.dbt import run_dbt

    export_dbt_env(start=True)
    target = settings.home() / "dbt_docs"
    where = ["--target-path", str(target)]
    try:
        run_dbt(["docs", "generate", "--static", *where])
    except LeadscoreError:
        print("dbt docs: the models are not built yet (run `make demo`); building them without compiled SQL",
              file=sys.stderr)
        run_dbt(["parse", *where])   # --no-compile reads the manifest a parse writes
        run_dbt(["docs", "generate", "--static", "--no-compile", *where])
    return target / "static_index.html"


def build_data_docs() -> Path:
    from leadscore.quality.gx_runner import GxRunner

    return GxRunner(warehouse.params()).build_data_docs(every_result=True)


def build() -> list[Path]:
    settings.disable_telemetry()   # also keeps dbt's page from loading its tracker
    warehouse.bootstrap()
    pages = [build_dbt_docs(), build_data_docs()]
    from leadscore.backtest.runner import report_path

    if report_path().exists():  # written by `leadscore backtest --html` and the weekly DAG
        pages.append(report_path())
    else:
        print("backtest page: none yet (`leadscore backtest --html` writes it)", file=sys.stderr)
    return pages


def can_open_browser() -> bool:
    """Only where a graphical browser can appear: webbrowser.open on a headless box either
    fails quietly or starts a console browser that waits for keys (a hung `make docs` in CI)."""
    if os.environ.get("CI") or not sys.stdout.isatty():
        return False
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def main() -> None:
    settings.private_files()
    pages = build()
    for page in pages:
        print(page)
    if can_open_browser():
        for page in pages:
            webbrowser.open(page.as_uri())


if __name__ == "__main__":
    main()
