"""The stand-in's SOQL subset: what the extractor sends parses; anything a real org would reject does not."""
from datetime import datetime, timezone

import pytest

from leadscore.sandbox.soql import SoqlError, parse

CATALOG = {"Lead": {"Id", "Email", "SystemModstamp", "IsDeleted", "Leadscore_Tier__c"}, "Contact": {"Id"}}


def test_incremental_query_parses():
    q = parse("SELECT Id, Email, Leadscore_Tier__c FROM Lead WHERE SystemModstamp >= 2026-01-02T03:04:05Z "
              "ORDER BY SystemModstamp, Id LIMIT 2000", CATALOG)
    assert q.obj == "Lead" and q.fields == ("Id", "Email", "Leadscore_Tier__c") and q.limit == 2000
    assert q.since == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc) and q.ordered


def test_offset_literal_is_utc_and_count_parses():
    q = parse("SELECT COUNT() FROM Lead WHERE SystemModstamp >= 2026-01-02T05:04:05+02:00", CATALOG)
    assert q.count and q.since == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", [
    "SELECT Id FROM Lead",  # unordered: the extractor always orders
    "SELECT Id FROM Lead WHERE SystemModstamp >= '2026-01-02T03:04:05Z' ORDER BY SystemModstamp, Id",  # quoted
    "SELECT Id FROM Lead WHERE Email = 'a@b.c' ORDER BY SystemModstamp, Id",
    "SELECT Id FROM Lead WHERE SystemModstamp >= 2026-01-02 ORDER BY SystemModstamp, Id",
    "SELECT FIELDS(ALL) FROM Lead ORDER BY SystemModstamp, Id",
    "SELECT Id, Id FROM Lead ORDER BY SystemModstamp, Id",
    "SELECT COUNT() FROM Lead LIMIT 5",
    "DELETE FROM Lead",
])
def test_outside_the_subset_is_malformed(text):
    with pytest.raises(SoqlError) as err:
        parse(text, CATALOG)
    assert err.value.code == "MALFORMED_QUERY"


def test_unknown_field_and_object():
    with pytest.raises(SoqlError) as err:
        parse("SELECT Id, Nope__c FROM Lead ORDER BY SystemModstamp, Id", CATALOG)
    assert err.value.code == "INVALID_FIELD" and "Nope__c" in err.value.message
    with pytest.raises(SoqlError) as err:
        parse("SELECT Id FROM Widget ORDER BY SystemModstamp, Id", CATALOG)
    assert err.value.code == "INVALID_TYPE"
