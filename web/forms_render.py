"""JSON Schema form → a list of field descriptions that `_form.html` renders server-side.

The schema stays the one source of a form: the same file is validated by the engine
(`engine.tasks.forms.validate_form`) and drawn here; nothing about a form lives in a template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

RADIO_MAX = 4  # up to this many choices: radio buttons; more: a select
# Fields that the schema requires only conditionally (if/then): no `required` attribute.
CONDITIONAL = {"justification", "motif"}


@dataclass
class Field:
    name: str
    widget: str  # text | textarea | date | radio | select | yesno | checkbox
    title: str
    description: str = ""
    required: bool = False
    maxlength: int | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: str = ""
    error: str | None = None

    @property
    def field_id(self) -> str:
        return f"f-{self.name}"


def _conditionally_required(schema: Mapping) -> set[str]:
    names: set[str] = set()
    for part in schema.get("allOf") or []:
        for branch in ("then", "else"):
            names.update((part.get(branch) or {}).get("required") or [])
    return names


def _widget(prop: Mapping) -> tuple[str, list[tuple[str, str]]]:
    one_of = prop.get("oneOf")
    if isinstance(one_of, list) and all(isinstance(s, Mapping) and "const" in s for s in one_of):
        choices = [(str(s["const"]), str(s.get("title") or s["const"])) for s in one_of]
        return ("radio" if len(choices) <= RADIO_MAX else "select"), choices
    if "enum" in prop:
        choices = [(str(v), str(v)) for v in prop["enum"]]
        return ("radio" if len(choices) <= RADIO_MAX else "select"), choices
    if prop.get("type") == "boolean" or isinstance(prop.get("const"), bool):
        return ("checkbox" if prop.get("const") is True else "yesno"), []
    if prop.get("format") == "date":
        return "date", []
    if prop.get("x-widget") == "textarea":
        return "textarea", []
    return "text", []


def _display(value) -> str:
    if value is True:
        return "oui"
    if value is False:
        return "non"
    return "" if value is None else str(value)


def build_fields(
    schema: Mapping, values: Mapping | None = None, errors: Mapping | None = None
) -> list[Field]:
    """Fields in schema order, with the entered `values` (raw strings) and French `errors`."""
    values, errors = values or {}, errors or {}
    required = set(schema.get("required") or [])
    conditional = _conditionally_required(schema) | (CONDITIONAL - required)
    out = []
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, Mapping):
            continue
        widget, choices = _widget(prop)
        out.append(
            Field(
                name=name,
                widget=widget,
                title=str(prop.get("title") or name),
                description=str(prop.get("description") or ""),
                required=name in required and name not in conditional,
                maxlength=prop.get("maxLength") if widget in ("text", "textarea") else None,
                choices=choices,
                value=_display(values.get(name)),
                error=errors.get(name),
            )
        )
    return out


def other_errors(fields: list[Field], errors: Mapping | None) -> list[str]:
    """Errors that belong to no rendered field (e.g. "__all__", an unknown field)."""
    names = {f.name for f in fields}
    return [msg for key, msg in (errors or {}).items() if key not in names]
