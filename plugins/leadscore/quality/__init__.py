"""Data quality for leadscore: nothing scored from bad data may reach the CRM.

`validate_inputs` checks the raw streams (bad rows → quarantine, bad batches → QualityGateError),
`validate_outputs` checks `marts.lead_scores` and that loaded = scored + quarantined per stream.
Suites are versioned JSON in `expectations/`; thresholds in `expectations/thresholds.yml`.
"""
from leadscore.quality.config import Thresholds, load as load_thresholds
from leadscore.quality.reconcile import Reconciliation, reconcile
from leadscore.quality.report import CriticalFailure, StreamCounts, ValidationReport
from leadscore.quality.validate import validate_inputs, validate_outputs

__all__ = [
    "CriticalFailure", "Reconciliation", "StreamCounts", "Thresholds", "ValidationReport",
    "load_thresholds", "reconcile", "validate_inputs", "validate_outputs",
]
