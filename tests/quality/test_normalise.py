"""leadscore.quality.normalise: the one definition of clean emails, text and locale numbers."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

import pytest

from leadscore.quality import normalise as n


@pytest.mark.parametrize("raw, expected", [
    ("\ufeffAda@Example.org", "ada@example.org"),                      # BOM in front
    ("ada@example.org\u200b", "ada@example.org"),                      # zero-width space behind
    ("\u00a0ada@example.org\u00a0", "ada@example.org"),                # NBSP around
    ("  Ada@Example.ORG \t", "ada@example.org"),
    ("josé@exämple.com", "josé@xn--exmple-cua.com"),                   # Unicode local part, IDN domain
    ("jose\u0301@exa\u0308mple.com", "josé@xn--exmple-cua.com"),       # the same, decomposed (NFD)
    ("JOSÉ@EXÄMPLE.COM", "josé@xn--exmple-cua.com"),
    ("user@пример.рф", "user@xn--e1afmkfd.xn--p1ai"),
    ("user@xn--e1afmkfd.xn--p1ai", "user@xn--e1afmkfd.xn--p1ai"),
    ("o'brien+tag@mail.example.co.uk", "o'brien+tag@mail.example.co.uk"),
])
def test_email_is_normalised(raw, expected):
    assert n.email(raw) == n.Clean(expected)


@pytest.mark.parametrize("raw, problem", [
    ("john doe@example.com", "space"),
    ("a@@example.com", "malformed"),
    ("john.doe.example.com", "no local part"),
    ("a@b", "malformed"),
    ("a@exa_mple.com", "malformed"),
    ("a" * 300 + "@example.com", "longer than 254"),
    ("<script>alert(1)</script>@x.com", "malformed"),
])
def test_email_that_cannot_be_normalised_has_a_reason(raw, problem):
    clean = n.email(raw)
    assert clean.value is None and problem in clean.problem


@pytest.mark.parametrize("raw", [None, "", "   ", "\ufeff", "\u200b\u00a0"])
def test_blank_email_is_absent_not_a_problem(raw):
    assert n.email(raw) == n.Clean(None)


def test_text_is_nfc_and_free_of_invisible_characters():
    nfd = unicodedata.normalize("NFD", "Ředitel obchodu")
    assert nfd != "Ředitel obchodu"
    assert n.text(f"\ufeff {nfd}\u00a0") == "Ředitel obchodu"
    assert n.text("Head\u200b of\u00a0Sales") == "Head of\u00a0Sales".replace("\u00a0", " ")
    assert n.text(" \u200b ") is None


@pytest.mark.parametrize("raw, expected", [
    ("1200", "1200"), ("1.200", "1200"), ("1 200", "1200"), ("1,200", "1200"), ("1\u00a0200", "1200"),
    ("1\u202f200", "1200"), ("1'200", "1200"), ("1.200.000", "1200000"), ("1,200,000", "1200000"),
    ("1.2k", "1200"), ("1,2k", "1200"), ("2K", "2000"), ("-5", "-5"), ("0", "0"),
])
def test_head_count_locale_forms(raw, expected):
    assert n.count(raw) == n.Clean(expected)


@pytest.mark.parametrize("raw", ["12.5", "1,2", "0.5", "1.200,5"])
def test_head_count_is_a_whole_number(raw):
    clean = n.count(raw)
    assert clean.value is None and "whole number" in clean.problem


@pytest.mark.parametrize("raw", ["1 50", "1.20.0", "abc", "ten", "12 apples", "1,,200", "€1200"])
def test_numbers_that_are_not_deliberate_are_refused_with_a_reason(raw):
    clean = n.count(raw)
    assert clean.value is None and repr(raw.strip()) in clean.problem


@pytest.mark.parametrize("raw, expected", [
    ("€1,2 M", "1200000"), ("1.2M USD", "1200000"), ("$1,200,000", "1200000"), ("1.200.000,50 €", "1200000.5"),
    ("CZK 25 000 000", "25000000"), ("25 000 000 Kč", "25000000"), ("2.5 mio EUR", "2500000"),
    ("1,2", "1.2"), ("12.5", "12.5"), ("1.5bn", "1500000000"), ("1000000.50", "1000000.5"),
])
def test_revenue_with_currencies_and_suffixes(raw, expected):
    assert n.amount(raw) == n.Clean(expected)


@pytest.mark.parametrize("kind, samples", [
    ("email", ["ada@example.org", "o'brien+x@mail.example.co.uk", "a_b-c@x-y.io"]),
    ("text", ["CEO", "Head of Sales", "a", "R&D (EMEA) / lead"]),
    ("count", ["0", "7", "1200", "999999999999"]),
    ("amount", ["0", "1200", "1200.5", "1200.25", "0.99"]),
])
def test_fast_path_values_are_already_normal(kind, samples):
    """The database takes FAST_PATH values as they are: normalising them must not change them."""
    fast = re.compile(n.FAST_PATH[kind])
    for raw in samples:
        assert fast.search(raw), raw
        value = n.clean(kind, raw).value
        if kind in ("count", "amount"):
            assert Decimal(value) == Decimal(raw)
        else:
            assert value == raw


@pytest.mark.parametrize("kind, raw", [
    ("email", " ada@example.org"), ("email", "Ada@example.org"), ("email", "josé@x.com"), ("email", "\ufeffa@x.com"),
    ("text", " CEO"), ("text", "Ředitel"), ("text", "CEO\u200b"), ("count", "1.200"), ("count", "1 200"),
    ("count", "012"), ("amount", "1.200"), ("amount", "1,5"),
])
def test_values_needing_work_leave_the_fast_path(kind, raw):
    assert not re.search(n.FAST_PATH[kind], raw)
