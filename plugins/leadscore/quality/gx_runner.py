"""One GX context per validation call: ephemeral config, Postgres datasource, files only under LEADSCORE_HOME.

An ephemeral context (suites come from the repo's JSON) avoids the shared
`great_expectations.yml` that concurrent tasks can corrupt; validation results are kept in a
filesystem store under `<LEADSCORE_HOME>/gx/validations` so Data Docs at
`<LEADSCORE_HOME>/data_docs/` list every run, not only the last one. The site is made to open
offline and to escape data by quality/data_docs.py.
"""
from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from leadscore import settings
from leadscore.warehouse import WarehouseParams

log = logging.getLogger(__name__)

URL_VARIABLE = "LEADSCORE_GX_WAREHOUSE_URL"
DATASOURCE = "warehouse"
SITE = "local_site"


@dataclass
class Outcome:
    """One expectation's result, flattened to what the quality policy needs."""

    suite: str
    stream: str | None
    rule: str
    level: str
    expectation_type: str
    success: bool
    kwargs: dict[str, Any]
    result: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    exception: str | None = None

    @property
    def unexpected_index_query(self) -> str | None:
        query = self.result.get("unexpected_index_query")
        return query.rstrip().rstrip(";") if isinstance(query, str) else None


@dataclass(frozen=True)
class Job:
    """Validate `suite` against table `schema.table`; `stream` names the raw stream (None for outputs)."""

    suite: Any  # gx.ExpectationSuite
    schema: str
    table: str
    stream: str | None = None


def data_docs_dir() -> Path:
    return settings.home() / "data_docs"


def quiet_gx_logs() -> None:
    """GX logs routine progress at INFO (one module pins its logger to INFO), which floods task
    logs; raise every GX logger to WARNING so only warnings and errors get through."""
    loggers = [logging.getLogger("great_expectations")] + [
        logger for name, logger in list(logging.root.manager.loggerDict.items())
        if name.startswith("great_expectations.") and isinstance(logger, logging.Logger)]
    for logger in loggers:
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def _context_config():
    from great_expectations.data_context.types.base import (
        DataContextConfig, InMemoryStoreBackendDefaults, ProgressBarsConfig)

    from leadscore.quality import data_docs

    defaults = InMemoryStoreBackendDefaults()
    stores = dict(defaults.stores)
    stores[defaults.validation_results_store_name] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(settings.home() / "gx" / "validations")},
    }
    return DataContextConfig(
        stores=stores,
        expectations_store_name=defaults.expectations_store_name,
        validation_results_store_name=defaults.validation_results_store_name,
        checkpoint_store_name=defaults.checkpoint_store_name,
        data_docs_sites={SITE: data_docs.site_config(data_docs_dir())},
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )


class GxRunner:
    """Runs suites against warehouse tables in the database (SQL pushed down, no pandas)."""

    def __init__(self, p: WarehouseParams):
        settings.disable_telemetry()
        import great_expectations as gx

        self._gx = gx
        # The URL reaches GX as a ${VAR} config substitution: GX's URL validator rejects the
        # embedded warehouse's socket-directory host, and the password stays out of GX config.
        self.context = gx.get_context(mode="ephemeral", project_config=_context_config(),
                                      runtime_environment={URL_VARIABLE: p.sqlalchemy_url("psycopg2")})
        self.datasource = self.context.data_sources.add_postgres(DATASOURCE, connection_string="${" + URL_VARIABLE + "}")
        quiet_gx_logs()
        self._assets: dict[tuple[str, str], Any] = {}
        self._results: list[Any] = []   # this call's suite and result identifiers, for Data Docs

    def _batch_definition(self, schema: str, table: str):
        key = (schema, table)
        if key not in self._assets:
            with warnings.catch_warnings():  # GX 1.24 deprecates schema_name; one datasource serves several schemas
                warnings.simplefilter("ignore", DeprecationWarning)
                asset = self.datasource.add_table_asset(f"{schema}.{table}", table_name=table, schema_name=schema)
            self._assets[key] = asset.add_batch_definition_whole_table("whole_table")
        return self._assets[key]

    def run(self, jobs: Iterable[Job], name: str, run_id: str, result_format: dict | str) -> list[Outcome]:
        """Validate all jobs in one checkpoint; results are stored for Data Docs."""
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

        gx = self._gx
        jobs = list(jobs)
        if not jobs:
            return []
        definitions = []
        stream_of: dict[str, str | None] = {}
        for job in jobs:
            suite = self.context.suites.add(job.suite)
            definitions.append(self.context.validation_definitions.add(gx.ValidationDefinition(
                name=f"{name}:{suite.name}", data=self._batch_definition(job.schema, job.table), suite=suite)))
            stream_of[suite.name] = job.stream
            self._results.append(ExpectationSuiteIdentifier(name=suite.name))  # the page validation pages link to
        checkpoint = self.context.checkpoints.add(gx.Checkpoint(
            name=name, validation_definitions=definitions, actions=[], result_format=result_format))
        result = checkpoint.run(run_id=RunIdentifier(run_name=f"{run_id}:{name}"))
        self._results.extend(result.run_results.keys())
        outcomes = []
        for suite_result in result.run_results.values():
            suite_name = suite_result.suite_name
            for r in suite_result.results:
                cfg = r.expectation_config
                meta = dict(cfg.meta or {})
                exc = r.exception_info or {}
                raised = exc.get("raised_exception") if isinstance(exc, dict) else False
                outcomes.append(Outcome(
                    suite=suite_name, stream=stream_of.get(suite_name), rule=meta.get("rule", cfg.type),
                    level=meta.get("level", "batch"), expectation_type=cfg.type, success=bool(r.success),
                    kwargs=dict(cfg.kwargs), result=dict(r.result or {}), meta=meta,
                    exception=(exc.get("exception_message") if raised else None)))
        return outcomes

    def build_data_docs(self, *, every_result: bool = False) -> Path:
        """Render this call's suites and results (older pages stay on disk), rebuild the index over
        all of them, and make the site open offline. `every_result` re-renders every stored
        result instead (`make docs`), which also repairs pages written by older versions."""
        from leadscore.quality import data_docs

        self.context.build_data_docs(site_names=[SITE], resource_identifiers=None if every_result else self._results)
        data_docs.finish_site(data_docs_dir())
        return data_docs_dir() / "index.html"
