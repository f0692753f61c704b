"""`make docs`: build dbt docs and GX Data Docs under .leadscore/ and open both in a browser."""
from __future__ import annotations

import webbrowser

from leadscore import settings, warehouse
from leadscore.orchestration import export_dbt_env


def build() -> list[str]:
    from leadscore.scoring.dbt import run_dbt

    warehouse.bootstrap()
    export_dbt_env(start=True)
    target = settings.home() / "dbt_docs"
    run_dbt(["docs", "generate", "--target-path", str(target)])
    pages = [str(target / "index.html")]
    gx = settings.home() / "data_docs" / "index.html"
    if gx.exists():
        pages.append(str(gx))
    return pages


if __name__ == "__main__":
    for page in build():
        print(page)
        webbrowser.open(f"file://{page}")
