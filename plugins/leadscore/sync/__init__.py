"""Reverse sync: lead tiers, scores and reasons from the warehouse to HubSpot contacts.

Diff by fingerprint against what was last sent (`sync.crm_sync_state`), batches of 100 with
per-row errors, forward-only lifecycle stage, a blast-radius guard, dry run, per-row log
(`sync.crm_sync_log`) and per-run summary (`sync.crm_sync_runs`).

Modules: `mapping` (lead → properties, lifecycle decision, fingerprint), `plan` (what to send,
the guard), `state` (tables, state and log writes), `hubspot_writer` (properties, batch
updates, 207/400 handling), `runner` (`reverse_sync`, `SyncSummary`).
Settings: the Airflow connection `hubspot` (extras `rate_limit`, `timeout`) and
LEADSCORE_SYNC_MAX_TIER_CHANGE_SHARE (default 0.2) for the guard, LEADSCORE_SYNC_SCORE_STEP
(default 5: scores in steps of 5; or `changes`) for how finely the CRM sees the scores.
"""
from leadscore.sync.runner import SyncSummary, reverse_sync

__all__ = ["SyncSummary", "reverse_sync"]
