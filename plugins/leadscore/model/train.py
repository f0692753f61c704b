"""`leadscore train`: learn the conversion probability from the team's own history.

Every lead is scored as it stood at past dates with the same dbt models as the backtest
(backtest_training_rows: the model's features and whether the lead converted within the
horizon). The dates are split by time, so no date is judged by a model that saw its future:

    train dates ....  <= V - horizon      the coefficients, once per regularisation strength
    validation date   V = T - horizon     picks the strength, calibrates (Platt)
    test date         T = newest - horizon  the figures stored with the model: AUC, PR-AUC,
                                          Brier, and the rules' total_score AUC on the same leads

A training date's outcome window ends before the validation date starts, and the validation's
before the test's. The stored model is then refit with the chosen strength on every date up
to V (their outcomes are all known by T) and calibrated on T.
"""
from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

import numpy as np
import pandas as pd

from leadscore import warehouse
from leadscore.backtest.engine import newest_data_time, scored_at_dates
from leadscore.errors import LeadscoreError
from leadscore.model import fit, store, thresholds

log = logging.getLogger(__name__)

MIN_CONVERSIONS = 100
HELDOUT_SQL_SHARE = 0.05
LABEL = "training"
ID_COLUMNS = ("lead_id", "as_of", "converted", "total_score")
TEXT_TYPES = {25, 1043}  # text, varchar


class TooFewConversions(LeadscoreError):
    pass


@dataclass
class Dates:
    train: list[datetime]
    validate: datetime
    test: datetime

    @property
    def all(self) -> list[datetime]:
        return [*self.train, self.validate, self.test]


def split_dates(newest: datetime, horizon_days: int, every_days: int, history_days: int) -> Dates:
    """Dates every `every_days` back from the newest one whose horizon has passed."""
    test = newest - timedelta(days=horizon_days)
    validate = test - timedelta(days=horizon_days)
    last_train = validate - timedelta(days=horizon_days)
    first = test - timedelta(days=history_days)
    train, d = [], last_train
    while d >= first:
        train.append(d)
        d -= timedelta(days=every_days)
    if not train:
        raise LeadscoreError(
            f"{history_days} days of history leave no training date before {last_train.date()}",
            f"pass --history-days {3 * horizon_days + every_days} or more (a training date, a validation date "
            f"and a test date, each {horizon_days} days apart)")
    return Dates(sorted(train), validate, test)


def read_rows(schema: str, as_of: datetime, max_rows: int) -> tuple[pd.DataFrame, float]:
    """One date's training rows: every converter, and the non-converters sampled down to about
    `max_rows` in all (by a hash of the lead id; each sampled row then weighs 1 / share)."""
    with warehouse.connect() as conn:
        total = conn.execute(f'select count(*) from "{schema}".backtest_population').fetchone()[0]
        share = min(1.0, max_rows / total) if total else 1.0
        cur = conn.execute(f'select * from "{schema}".backtest_training_rows limit 0')
        text = [d.name for d in cur.description if d.type_code in TEXT_TYPES]
        buf = io.BytesIO()
        with conn.cursor().copy(
                f'copy (select * from "{schema}".backtest_training_rows '
                f"where converted or (hashtext(lead_id) & 1048575) < %s) to stdout with (format csv, header)",
                (int(share * 1048576),)) as copy:
            for chunk in copy:
                buf.write(chunk)
    buf.seek(0)
    frame = pd.read_csv(buf, dtype={c: str for c in text}, keep_default_na=False)
    frame["converted"] = frame["converted"].map({"t": True, "f": False, True: True, False: False}).astype(bool)
    frame["as_of"] = as_of
    frame["weight"] = np.where(frame["converted"], 1.0, 1.0 / share)
    return frame, share


@dataclass
class Trained:
    version: str
    meta: dict
    model: fit.Fitted
    seconds: float
    extract_seconds: float
    dates: Dates


def train(horizon_days: int = 90, every_days: int = 30, history_days: int = 450, max_rows_per_date: int = 200_000,
          on_date: Callable[[datetime, int, float], None] | None = None) -> Trained:
    started = time.monotonic()
    newest = newest_data_time()
    dates = split_dates(newest, horizon_days, every_days, history_days)
    frames, shares, version = [], [], ""
    t0 = time.monotonic()
    for version, schema, as_of in scored_at_dates(dates.all, horizon_days, label=LABEL,
                                                  select="backtest_training_rows"):
        frame, share = read_rows(schema, as_of, max_rows_per_date)
        frames.append(frame)
        shares.append(share)
        if on_date:
            on_date(as_of, len(frame), time.monotonic() - t0)
        t0 = time.monotonic()
    extract_seconds = time.monotonic() - started
    rows = pd.concat(frames, ignore_index=True)
    features = [c for c in rows.columns if c not in (*ID_COLUMNS, "weight")]
    part = {"train": rows[rows.as_of.isin(dates.train)], "validate": rows[rows.as_of == dates.validate],
            "test": rows[rows.as_of == dates.test]}
    converters = part["train"].loc[part["train"].converted, "lead_id"].nunique()
    if converters < MIN_CONVERSIONS or not part["validate"].converted.any() or not part["test"].converted.any():
        raise TooFewConversions(
            f"found {converters} leads converting within {horizon_days} days of the {len(dates.train)} training dates "
            f"({dates.train[0].date()} to {dates.train[-1].date()}); a model needs at least {MIN_CONVERSIONS}: "
            "no model trained, leads are scored by the rules only",
            "train again when the CRM holds more closed-won deals, or pass a longer --history-days")

    def xyw(frame: pd.DataFrame, enc: fit.Encoding) -> tuple:
        return enc.matrix(frame), frame.converted.to_numpy(), frame.weight.to_numpy()

    enc = fit.encoding_for(part["train"], features)
    valid = xyw(part["validate"], enc)
    evaluated = fit.choose_and_fit(xyw(part["train"], enc), valid, enc)
    x_test, y_test, w_test = xyw(part["test"], enc)
    p_test = evaluated.probability(x_test)
    figures = fit.scores(y_test, p_test, w_test)
    from sklearn.metrics import roc_auc_score

    rules_auc = float(roc_auc_score(y_test, part["test"].total_score.to_numpy(), sample_weight=w_test))
    # the tiers a threshold proposal would give: chosen on the validation date (a 5 % sql
    # capacity, mql at 2x the baseline), judged on the test date
    x_valid, y_valid, w_valid = valid
    proposal = thresholds.recommend(thresholds.bins_of(evaluated.probability(x_valid), y_valid, w_valid, dates.validate),
                                    sql_share=HELDOUT_SQL_SHARE, mql_lift=2.0)
    held_bands = thresholds.tier_bands(thresholds.bins_of(p_test, y_test, w_test, dates.test, n=len(y_test)),
                                       **proposal.thresholds)
    known = pd.concat([part["train"], part["validate"]])
    enc_final = fit.encoding_for(known, features)
    final = fit.refit(xyw(known, enc_final), xyw(part["test"], enc_final), evaluated.c, enc_final)
    model_version = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    meta = {
        "rules_version": version, "horizon_days": horizon_days,
        "training_from": dates.train[0], "training_to": dates.validate, "training_dates": len(dates.train) + 1,
        "training_rows": int(len(known)), "training_positives": int(known.converted.sum()),
        "validated_on": dates.validate, "tested_on": dates.test, "regularisation_c": evaluated.c,
        "calibration_a": final.calibration[0], "calibration_b": final.calibration[1],
        "negative_sample_share": min(shares),
        "validation_auc": figures["auc"], "validation_pr_auc": figures["pr_auc"], "validation_brier": figures["brier"],
        "validation_baseline_rate": float(np.average(y_test, weights=w_test)), "rules_auc": rules_auc,
        "heldout_sql_share": held_bands["sql"].share, "heldout_sql_lift": held_bands["sql"].lift,
        "heldout_mql_lift": held_bands["mql"].lift, "heldout_nurture_lift": held_bands["nurture"].lift,
    }
    with warehouse.connect() as conn:
        store.save(conn, model_version, final, meta)
    return Trained(model_version, meta, final, time.monotonic() - started, extract_seconds, dates)


def rescore_marts() -> None:
    """Score marts.lead_scores and its factors with the newly stored model at the daily run's
    scoring time, so the probability shows before the next daily run."""
    from leadscore.scoring.dbt import run_dbt

    run_dbt(["--quiet", "run", "--select", "int_lead_signals_evaluated", "lead_scores", "lead_score_factors"], as_of=newest_data_time().isoformat())


def summary(t: Trained) -> str:
    """One paragraph: what was trained on, and how model and rules ranked the test date's leads."""
    m = t.meta
    verdict = "above" if m["validation_auc"] > m["rules_auc"] else "not above"
    return (f"model {t.version}: trained on {m['training_dates']} dates ({m['training_from'].date()} to "
            f"{m['training_to'].date()}), {m['training_rows']:,} rows, {m['training_positives']:,} conversions within "
            f"{m['horizon_days']} days. On {m['tested_on'].date()}, a date it never trained on: AUC "
            f"{m['validation_auc']:.3f} ({verdict} the rules' total score, {m['rules_auc']:.3f}), PR-AUC "
            f"{m['validation_pr_auc']:.3f} against a base rate of {m['validation_baseline_rate']:.1%}, Brier "
            f"{m['validation_brier']:.4f}. Thresholds set on {m['validated_on'].date()} (sql the top "
            f"{HELDOUT_SQL_SHARE:.0%}, mql at 2x the baseline) gave on {m['tested_on'].date()}: sql "
            f"{m['heldout_sql_share']:.1%} of leads at {m['heldout_sql_lift']:.1f}x, mql {m['heldout_mql_lift']:.1f}x, "
            f"nurture {m['heldout_nurture_lift']:.2f}x. Stored in marts.conversion_model; marts.lead_scores.conversion_probability "
            f"uses it from now on.")
