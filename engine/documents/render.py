"""HTML/CSS templates → PDF (WeasyPrint, A4, system fonts only: DejaVu on Debian)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, Undefined, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
BLANK = Markup('<span class="blank">&nbsp;</span>')


def _blank(value):
    """A value, or a visible blank to fill in by hand (never an empty string passed off as one)."""
    if (
        value is None
        or isinstance(value, Undefined)
        or (isinstance(value, str) and not value.strip())
    ):
        return BLANK
    return value


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["blank"] = _blank


def html(annex: int, facts: dict, meta: dict) -> str:
    return _env.get_template(f"annexe_{annex}.html").render(f=facts, meta=meta)


def pdf(annex: int, facts: dict, meta: dict) -> bytes:
    from weasyprint import HTML  # heavy import: only where a PDF is made

    return HTML(string=html(annex, facts, meta), base_url=str(TEMPLATES)).write_pdf()
