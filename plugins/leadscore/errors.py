"""User-facing errors: one line that says what is wrong and how to fix it.

Everything the user can cause (an unreachable warehouse, a bad token, a port in use, an
unknown lead) is raised as a `LeadscoreError`; the CLI prints its message and exits 1,
never a traceback.
"""
from __future__ import annotations


class LeadscoreError(Exception):
    """An error the user can fix; `str(err)` is the whole message, fix included."""

    def __init__(self, problem: str, fix: str | None = None):
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} — {fix}" if fix else problem)


class ConfigError(LeadscoreError):
    """A missing or malformed setting, connection or rules file."""


class WarehouseError(LeadscoreError):
    """The warehouse cannot be reached or is not in the expected shape."""


class SourceAuthError(LeadscoreError):
    """A source API rejected our credentials (401/403); retrying cannot help."""


class SourceError(LeadscoreError):
    """A source API failed after all retries."""


class QualityGateError(LeadscoreError):
    """A critical data-quality expectation failed; the run stops before the CRM is written."""


class SyncBlockedError(LeadscoreError):
    """The reverse sync refused to run (blast-radius guard) until a human forces it."""


class SyncFailedError(LeadscoreError):
    """Too few leads reached the CRM (every row rejected, say): the task fails so the scheduler alerts."""
