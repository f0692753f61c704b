"""The docs a user opens work offline and never run data as markup: GX Data Docs built by the
real runner against the embedded warehouse, and dbt's static docs page."""
from __future__ import annotations

import logging
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from leadscore import docs, warehouse
from leadscore.quality import validate_inputs, validate_outputs
from leadscore.quality.gx_runner import GxRunner, data_docs_dir

from . import factory as f
from .conftest import load, reset, scores, write_scores

PAYLOAD = "<script>alert(1)</script>"
STREAMS = ["hubspot_contacts", "hubspot_calls"]


class Refs(HTMLParser):
    """(tag, attribute, url, rel) of every src/href in a page."""

    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("src", "href"):
            if a.get(name) is not None:
                self.refs.append((tag, name, a[name], a.get("rel") or ""))


def refs(page: Path) -> list[tuple[str, str, str, str]]:
    parser = Refs()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.refs


def remote(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def loads_resource(tag: str, rel: str) -> bool:
    return tag in ("script", "img") or (tag == "link" and "stylesheet" in rel)


@pytest.fixture(scope="module")
def site(wh) -> Path:
    """Inputs (one over-long email holds a script tag, so GX samples it) and outputs validated by
    two runners, as in a DAG run."""
    with warehouse.connect() as conn:
        reset(conn)
        data = f.baseline(50)
        load(conn, {s: data[s] for s in STREAMS})
        load(conn, {"hubspot_contacts": [f.contact("evil", PAYLOAD + "@" + "x" * 250 + ".example")]})
        write_scores(conn, scores(100))
    validate_inputs("docs-run", streams=STREAMS, force=True)
    validate_outputs("docs-run", force=True, staging=False)
    return data_docs_dir()


def pages(site: Path) -> list[Path]:
    found = sorted(site.rglob("*.html"))
    assert len(found) >= 7   # the index and 6 validation pages at least
    return found


def test_no_page_loads_a_script_or_stylesheet_from_the_network(site):
    offenders = [(p.name, url) for p in pages(site) for tag, _, url, rel in refs(p)
                 if loads_resource(tag, rel) and remote(url)]
    assert offenders == []
    assert (site / "static" / "vendor" / "bootstrap.min.css").stat().st_size > 100_000


def test_every_local_link_resolves(site):
    checked, broken = 0, []
    for page in pages(site):
        for _, _, url, _ in refs(page):
            if remote(url) or url.startswith(("#", "mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(urlsplit(url).path)).resolve()
            checked += 1
            if not target.is_file():
                broken.append((page.relative_to(site).as_posix(), url))
    assert broken == []
    assert checked > 50


def test_suite_pages_of_earlier_runners_survive(site):
    """The outputs runner's context knows only its own suites; the inputs' pages must stay."""
    names = {p.stem for p in (site / "expectations").glob("*.html")}
    assert {"raw_hubspot_contacts", "batch_hubspot_calls", "marts_lead_scores"} <= names


def test_sampled_data_is_escaped(site):
    texts = {p: p.read_text(encoding="utf-8") for p in pages(site)}
    assert [p.name for p, t in texts.items() if PAYLOAD in t] == []
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in t for t in texts.values())


def test_gx_logs_warnings_only(wh, caplog):
    GxRunner(warehouse.params())
    pinned = logging.getLogger("great_expectations.data_context.types.base")   # GX sets it to INFO
    assert not pinned.isEnabledFor(logging.INFO)
    assert pinned.isEnabledFor(logging.WARNING)
    logging.getLogger("great_expectations.render").warning("kept")
    assert "kept" in caplog.text


def test_make_docs_rebuilds_the_site_and_writes_a_static_dbt_page(site, monkeypatch, capsys):
    stale = next((site / "validations").rglob("*.html"))
    stale.write_text("stale")   # e.g. written by an older version
    monkeypatch.setenv("CI", "true")   # no browser may be started
    docs.main()
    dbt_page, gx_index = map(Path, capsys.readouterr().out.split()[-2:])
    assert gx_index == site / "index.html"
    assert "Expectation Validation Result" in stale.read_text()   # every stored result re-rendered
    assert dbt_page.name == "static_index.html"
    text = dbt_page.read_text(encoding="utf-8")
    assert '"send_anonymous_usage_stats": false' in text   # dbt's page loads its tracker otherwise
    assert "model.leadscore.lead_scores" in text           # manifest embedded: opens from a file
    assert [u for tag, _, u, rel in refs(dbt_page) if loads_resource(tag, rel) and remote(u)] == []


def test_no_browser_without_a_display(monkeypatch):
    """A console browser would wait for keys: only a graphical session opens the pages."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(docs.sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(docs.sys, "platform", "linux")
    monkeypatch.setenv("BROWSER", "true")   # a "browser" that exists and returns at once
    monkeypatch.setenv("DISPLAY", ":0")
    assert docs.can_open_browser() is True
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert docs.can_open_browser() is False
