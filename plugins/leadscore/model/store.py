"""`marts.conversion_model` (one row per trained model, with how it was trained and how it did
on a date it never trained on) and `marts.conversion_model_coefficients` (its terms). dbt
scores the newest active model (macros/conversion_model.sql)."""
from __future__ import annotations

from leadscore.model.fit import INTERCEPT, Fitted

DDL = """
create schema if not exists marts;
create table if not exists marts.conversion_model (
    model_version text primary key,
    status text not null,
    trained_at timestamptz not null default now(),
    rules_version text not null,
    horizon_days integer not null,
    training_from timestamptz not null,
    training_to timestamptz not null,
    training_dates integer not null,
    training_rows bigint not null,
    training_positives bigint not null,
    validated_on timestamptz not null,
    tested_on timestamptz not null,
    regularisation_c double precision not null,
    calibration_a double precision not null,
    calibration_b double precision not null,
    negative_sample_share double precision not null,
    validation_auc double precision,
    validation_pr_auc double precision,
    validation_brier double precision,
    validation_baseline_rate double precision,
    rules_auc double precision,
    heldout_sql_share double precision,
    heldout_sql_lift double precision,
    heldout_mql_lift double precision,
    heldout_nurture_lift double precision
);
create table if not exists marts.conversion_model_coefficients (
    model_version text not null references marts.conversion_model (model_version) on delete cascade,
    feature text not null,
    level text not null default '',  -- the category level; '' for a numeric feature
    coefficient double precision not null,
    mean double precision,
    scale double precision,
    standardised_coefficient double precision,
    primary key (model_version, feature, level)
);
comment on table marts.conversion_model is
    'Conversion models trained by leadscore train: training window, rows, positives, and on the newest '
    'date (tested_on, never trained on): AUC, PR-AUC, Brier and the rules'' total_score AUC, and the lift of '
    'the tiers that thresholds set on validated_on gave on tested_on (heldout_*). '
    'The newest active one is scored into marts.lead_scores.conversion_probability.';
comment on table marts.conversion_model_coefficients is
    'Terms of each conversion model: logit = (intercept) + sum(coefficient x feature value); a category '
    'feature has one row per level (value 1 when the lead has it). mean/scale: the training standardisation; '
    'standardised_coefficient: per standard deviation, comparable across features.';
"""


def ensure_tables(conn) -> None:
    conn.execute(DDL)


def save(conn, version: str, model: Fitted, meta: dict) -> None:
    """Store a model as the active one (the previous ones are kept, retired)."""
    ensure_tables(conn)
    conn.execute("update marts.conversion_model set status = 'retired' where status = 'active'")
    cols = ["model_version", "status", *meta]
    conn.execute(f"insert into marts.conversion_model ({', '.join(cols)}) values ({', '.join(['%s'] * len(cols))})",
                 [version, "active", *meta.values()])
    rows = [(version, INTERCEPT, "", model.intercept, None, None, None)]
    rows += [(version, t.feature, t.level or "", t.coefficient, t.mean, t.scale, t.standardised) for t in model.terms]
    conn.cursor().executemany(
        "insert into marts.conversion_model_coefficients (model_version, feature, level, coefficient, mean, scale,"
        " standardised_coefficient) values (%s, %s, %s, %s, %s, %s, %s)", rows)
    conn.commit()

