"""`marts.score_backtests`: every backtest's figures, one row per (backtest, rules, date,
dimension, value), kept across runs so analysts can follow the tiers over time."""
from __future__ import annotations

from datetime import datetime

COLUMNS = ("dimension", "value", "leads", "converted", "conversion_rate", "baseline_rate", "lift",
           "share_of_leads", "share_of_converters", "metric_value", "rules_version")

DDL = """
create schema if not exists marts;
create table if not exists marts.score_backtests (
    backtest_id text not null,
    rules_label text not null,
    rules_version text not null,
    as_of timestamptz not null,
    horizon_days integer not null,
    dimension text not null,
    value text not null,
    leads bigint,
    converted bigint,
    conversion_rate double precision,
    baseline_rate double precision,
    lift double precision,
    share_of_leads double precision,
    share_of_converters double precision,
    metric_value double precision,
    recorded_at timestamptz not null default now(),
    primary key (backtest_id, rules_label, as_of, dimension, value)
);
comment on table marts.score_backtests is
    'Point-in-time backtests (leadscore backtest): per past date, what each tier, grade and score decile '
    'converted to within horizon_days, lift over that date''s baseline, AUC and SQL precision/recall.';
"""


def ensure_table(conn) -> None:
    conn.execute(DDL)


def read_metrics(conn, schema: str) -> list[dict]:
    cur = conn.execute(f'select {", ".join(COLUMNS)} from "{schema}".backtest_metrics '
                       "order by dimension, value")
    return [dict(zip(COLUMNS, row)) for row in cur]


def save(conn, backtest_id: str, label: str, horizon_days: int, as_of: datetime, rows: list[dict]) -> None:
    """Insert one date's rows (a rerun of the same backtest id and date replaces them)."""
    conn.execute("delete from marts.score_backtests where backtest_id = %s and rules_label = %s and as_of = %s",
                 (backtest_id, label, as_of))
    conn.cursor().executemany(
        "insert into marts.score_backtests (backtest_id, rules_label, rules_version, as_of, horizon_days, dimension,"
        " value, leads, converted, conversion_rate, baseline_rate, lift, share_of_leads, share_of_converters,"
        " metric_value) values (%(backtest_id)s, %(label)s, %(rules_version)s, %(as_of)s, %(horizon_days)s,"
        " %(dimension)s, %(value)s, %(leads)s, %(converted)s, %(conversion_rate)s, %(baseline_rate)s, %(lift)s,"
        " %(share_of_leads)s, %(share_of_converters)s, %(metric_value)s)",
        [{**r, "backtest_id": backtest_id, "label": label, "horizon_days": horizon_days, "as_of": as_of} for r in rows])
    conn.commit()
