"""The output gate's reconciliation against the real dbt staging models: every stream compared."""
from __future__ import annotations

import pytest

from leadscore import warehouse
from leadscore.quality import reconcile, typed
from leadscore.quality.reconcile import UNSTAGED

pytestmark = pytest.mark.usefixtures("scored")


def test_every_stream_is_checked_against_dbt_staging_and_balances():
    with warehouse.connect() as conn:
        result = reconcile(conn, typed.STREAMS)
    unchecked = {s: r.unchecked_reason for s, r in result.items() if not r.checked and s not in UNSTAGED}
    assert unchecked == {}
    assert [r.line() for r in result.values() if not r.balanced] == []
    assert result["hubspot_contacts"].quarantined == 1 and result["hubspot_contacts"].passed > 0
