"""Fitting the conversion model: a logistic regression on standardised features, class-weighted,
its regularisation chosen on a validation date, Platt-calibrated, then stored on the features'
own scale so that SQL can score it as `intercept + Σ coefficient × value`.

Platt scaling is itself logistic in the logit (p = σ(a·z + b)), so it folds into the
coefficients: the stored model stays one linear logit, and every lead's explanation (each
feature's coefficient × value) still sums exactly to it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

INTERCEPT = "(intercept)"
C_GRID = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
MIN_LEVEL_ROWS = 30  # a category level rarer than this in training gets no coefficient


@dataclass
class Term:
    feature: str
    level: str | None        # the category level, None for a numeric feature
    coefficient: float       # on the feature's own scale: contribution = coefficient × value
    mean: float              # the training mean and standard deviation it was scaled with
    scale: float
    standardised: float      # the coefficient per standard deviation (comparable across features)


@dataclass
class Encoding:
    numeric: list[str]
    levels: dict[str, list[str]]  # category feature -> kept levels

    @property
    def columns(self) -> list[tuple[str, str | None]]:
        return [(f, None) for f in self.numeric] + [(f, lv) for f, lvs in self.levels.items() for lv in lvs]

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        cols = [frame[f].astype(float).fillna(0.0).to_numpy() for f in self.numeric]
        cols += [(frame[f].astype(str) == lv).to_numpy(dtype=float) for f, lvs in self.levels.items() for lv in lvs]
        return np.column_stack(cols) if cols else np.zeros((len(frame), 0))


def encoding_for(frame: pd.DataFrame, features: list[str]) -> Encoding:
    """Numeric features as they are; text ones one-hot over the levels seen often enough."""
    numeric, levels = [], {}
    for f in features:
        if pd.api.types.is_numeric_dtype(frame[f]) or pd.api.types.is_bool_dtype(frame[f]):
            numeric.append(f)
        else:
            counts = frame[f].astype(str).value_counts()
            levels[f] = sorted(counts[counts >= MIN_LEVEL_ROWS].index.tolist())
    return Encoding(numeric, levels)


@dataclass
class Fitted:
    intercept: float
    terms: list[Term]
    c: float
    calibration: tuple[float, float] = (1.0, 0.0)
    search: dict[float, float] = field(default_factory=dict)  # C -> validation AUC

    def logit(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + x @ np.array([t.coefficient for t in self.terms])

    def probability(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(x), -700, 700)))


def _fit_once(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float, enc: Encoding) -> Fitted:
    from sklearn.linear_model import LogisticRegression

    mean = np.average(x, axis=0, weights=w)
    scale = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w))
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    lr.fit(z, y, sample_weight=w)
    std = lr.coef_[0]
    raw = std / scale
    terms = [Term(f, lv, float(r), float(m), float(s), float(b))
             for (f, lv), r, m, s, b in zip(enc.columns, raw, mean, scale, std)]
    return Fitted(float(lr.intercept_[0] - np.sum(std * mean / scale)), terms, c)


def calibrate(model: Fitted, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Fitted:
    """Platt scaling on held-out rows, folded into the coefficients."""
    from sklearn.linear_model import LogisticRegression

    z = model.logit(x).reshape(-1, 1)
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(z, y, sample_weight=w)
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    terms = [Term(t.feature, t.level, t.coefficient * a, t.mean, t.scale, t.standardised * a) for t in model.terms]
    return Fitted(model.intercept * a + b, terms, model.c, (a, b), model.search)


def choose_and_fit(train: tuple, valid: tuple, enc: Encoding) -> Fitted:
    """Fit once per C on the training rows, keep the C with the best validation AUC (the
    smaller C on a tie: more regularised), calibrate on the validation rows."""
    from sklearn.metrics import roc_auc_score

    (xt, yt, wt), (xv, yv, wv) = train, valid
    best, search = None, {}
    for c in C_GRID:
        m = _fit_once(xt, yt, wt, c, enc)
        search[c] = float(roc_auc_score(yv, m.logit(xv), sample_weight=wv))
        if best is None or search[c] > search[best.c] + 1e-4:
            best = m
    assert best is not None
    best.search = search
    return calibrate(best, xv, yv, wv)


def refit(rows: tuple, calibration_rows: tuple, c: float, enc: Encoding) -> Fitted:
    """The stored model: the chosen C on every date whose outcome is known, calibrated on the newest."""
    x, y, w = rows
    return calibrate(_fit_once(x, y, w, c, enc), *calibration_rows)


def scores(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """AUC, PR-AUC (average precision) and Brier score of probabilities `p`."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    return {"auc": float(roc_auc_score(y, p, sample_weight=w)),
            "pr_auc": float(average_precision_score(y, p, sample_weight=w)),
            "brier": float(brier_score_loss(y, p, sample_weight=w))}
