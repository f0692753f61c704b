"""GX Data Docs that open offline and never render warehouse data as markup.

GX 1.24's pages load Bootstrap, jQuery, bootstrap-table, Font Awesome, Vega and a datepicker
from CDNs, point favicon and logo at wrong or remote paths, and put sampled unexpected values
into table cells unescaped. This module supplies the GX site configuration (an escaping page
view, an index builder that keeps suite pages of earlier runs) and `finish_site`, which copies
the vendored assets next to the pages and rewrites every page to use them.
"""
from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any

from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder
from great_expectations.render.view import DefaultJinjaPageView
from jinja2 import pass_context

ASSETS = Path(__file__).parent / "data_docs_assets"
VENDOR = "static/vendor"

# A CDN reference ends with one of these -> the vendored file that replaces it. Any other
# remote script or stylesheet is dropped (Vega, datepicker, dark theme, Popper: in the bundle).
LOCAL = {
    "jquery-3.7.1.min.js": "jquery.min.js",
    "bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap.min.css",
    "bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap.bundle.min.js",
    "dist/bootstrap-table.min.css": "bootstrap-table.min.css",
    "dist/bootstrap-table.min.js": "bootstrap-table.min.js",
    "bootstrap-table-filter-control.css": "bootstrap-table-filter-control.min.css",
    "bootstrap-table-filter-control.min.css": "bootstrap-table-filter-control.min.css",
    "bootstrap-table-filter-control.min.js": "bootstrap-table-filter-control.min.js",
    "font-awesome/6.6.0/css/all.min.css": "icons.css",
}
_REMOTE_TAG = re.compile(
    r'<script\b[^>]*\bsrc="(?:https?:)?//[^"]*"[^>]*>\s*</script>|<link\b[^>]*\bhref="(?:https?:)?//[^"]*"[^>]*>', re.I)
_URL = re.compile(r'(?:src|href)="([^"]*)"', re.I)
_REMOTE_LOGO = re.compile(r'src="https://great-expectations-web-assets[^"]*/([\w.-]+?)(?:\?[^"]*)?"')
_STATIC = re.compile(r'((?:src|href)=")(?:\./|(?:\.\./)+)?static/')


def site_config(base_directory: Path) -> dict[str, Any]:
    """The `data_docs_sites` entry: escaping views, suite pages kept across runs."""
    view = {"module_name": __name__, "class_name": "EscapingPageView"}
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(base_directory)},
        "site_index_builder": {"module_name": __name__, "class_name": "KeepingSiteIndexBuilder"},
        "site_section_builders": {"expectations": {"view": view}, "validations": {"view": view}},
    }


def _escape_cell(cell: Any) -> Any:
    if isinstance(cell, str):
        return html.escape(cell, quote=False)
    if isinstance(cell, list):
        return [_escape_cell(c) for c in cell]
    return cell   # content blocks (dicts) are templates GX renders with escaped params; numbers are safe


class EscapingPageView(DefaultJinjaPageView):
    """GX escapes string-template params but emits plain table cells raw, and those carry
    data (sampled unexpected values, observed values): escape them."""

    @pass_context
    def render_content_block(self, jinja_context, content_block, index=None, content_block_id=None,
                             render_to_markdown=False):
        if isinstance(content_block, dict) and content_block.get("content_block_type") == "table":
            content_block = {**content_block,
                             "table": [[_escape_cell(c) for c in row] for row in content_block.get("table") or []]}
        return super().render_content_block(jinja_context, content_block, index, content_block_id,
                                            render_to_markdown)


class KeepingSiteIndexBuilder(DefaultSiteIndexBuilder):
    """Each GX context is ephemeral and holds only its own suites; GX's default index build
    would delete the pages of every other suite, breaking links from older validation pages."""

    def build(self, skip_and_clean_missing: bool = True, build_index: bool = True):
        return super().build(skip_and_clean_missing=False, build_index=build_index)


def _vendor_tag(tag: str, prefix: str) -> str:
    url = _URL.search(tag).group(1).split("?")[0]
    local = next((f for suffix, f in LOCAL.items() if url.endswith(suffix)), None)
    if local is None:
        return ""
    if tag.lower().startswith("<script"):
        return f'<script src="{prefix}{VENDOR}/{local}"></script>'
    return f'<link rel="stylesheet" href="{prefix}{VENDOR}/{local}">'


def localize(page: str, prefix: str) -> str:
    """Rewrite one page for a site root at relative `prefix` ('' or '../..'-style with a slash)."""
    page = _REMOTE_TAG.sub(lambda m: _vendor_tag(m.group(0), prefix), page)
    page = _REMOTE_LOGO.sub(lambda m: f'src="static/images/{m.group(1)}"', page)
    page = _STATIC.sub(lambda m: f"{m.group(1)}{prefix}static/", page)
    # the datepicker is not shipped: filter dates as text
    return page.replace("'filterControl': 'datepicker'", "'filterControl': 'input'")


def finish_site(site: Path) -> int:
    """Copy the vendored assets into the site and localize every page; returns pages rewritten.
    Idempotent, so pages written by older versions are repaired on the next build too."""
    vendor = site / VENDOR
    vendor.mkdir(parents=True, exist_ok=True)
    for asset in ASSETS.iterdir():
        target = vendor / asset.name
        if asset.suffix in (".js", ".css") and (not target.exists() or target.stat().st_size != asset.stat().st_size):
            shutil.copyfile(asset, target)
    changed = 0
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        depth = len(page.relative_to(site).parts) - 1
        new = localize(text, "../" * depth)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed += 1
    return changed
