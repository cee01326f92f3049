"""Task forms: JSON Schema (draft 2020-12) files in processes/forms/.

`load_form` / `check_form_schema` refuse a malformed or invalid form file (SpecError naming the
file); `resolve_schema` injects run-time choice lists (`x-ipt-choices`); `coerce_form_input` turns
an HTML form's strings into typed values; `validate_form` checks the data and raises
ValidationFailed with exactly one French message per field.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from engine.errors import SpecError, ValidationFailed

DEFAULT_MAX_TEXT_LENGTH = 5000
# Key of ValidationFailed.errors for a problem that belongs to no single field.
FORM_ERROR_KEY = "__all__"

MSG_REQUIRED = "Ce champ est obligatoire."
MSG_REQUIRED_IF = "Ce champ est obligatoire dans ce cas."
MSG_JUSTIFICATION = "Une justification est obligatoire lorsque l'avis est défavorable."
MSG_MOTIF = "Un motif est obligatoire en cas de refus."
MSG_CHOICE = "Choisissez une des valeurs proposées."
MSG_DATE = "Date invalide : utilisez le format AAAA-MM-JJ."
MSG_TOO_LONG = "Texte trop long : {n} caractères au maximum."
MSG_CHECKED = "Cette case doit être cochée."
MSG_UNKNOWN = "Champ inconnu."
MSG_INVALID = "Valeur invalide."
MSG_BOOLEAN = "Répondez par oui ou par non."
MSG_INTEGER = "Saisissez un nombre entier."
MSG_NUMBER = "Saisissez un nombre."
MSG_FORM = "Le formulaire est invalide."

# Fields whose conditional requirement (if/then) has its own message.
_REQUIRED_IF_MESSAGES = {"justification": MSG_JUSTIFICATION, "motif": MSG_MOTIF}

# When several errors hit one field, the lowest rank wins (one message per field).
_RANK_UNKNOWN, _RANK_REQUIRED, _RANK_TYPE, _RANK_CHOICE, _RANK_FORMAT, _RANK_LENGTH = range(6)
_RANK_OTHER = 9

_TRUE_WORDS = {"oui": True, "true": True, "non": False, "false": False}
_INT_RE = re.compile(r"[+-]?[0-9]+")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# A private checker: jsonschema only asserts `format` when given one. "date" is redefined
# strictly (ASCII digits, AAAA-MM-JJ only, a real calendar day).
FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if not _DATE_RE.fullmatch(instance):
        return False
    dt.date.fromisoformat(instance)  # ValueError for 2026-02-30
    return True


# --------------------------------------------------------------------------- loading, checking


def _no_duplicate_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"clé en double « {key} »")
        obj[key] = value
    return obj


def load_form(path) -> dict:
    """Read and check one form file; SpecError (naming the file) when it is unusable."""
    path = Path(path)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError("le fichier n'est pas encodé en UTF-8.", file=name) from exc
    except OSError as exc:
        raise SpecError(f"fichier illisible ({exc.strerror or exc}).", file=name) from exc
    try:
        schema = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"JSON mal formé : {exc.msg} (colonne {exc.colno}).", file=name, line=exc.lineno
        ) from exc
    except ValueError as exc:
        raise SpecError(f"JSON mal formé : {exc}.", file=name) from exc
    check_form_schema(schema, name)
    return schema


def _pointer(parts) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _types(prop: Mapping) -> set[str]:
    declared = prop.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {t for t in declared if isinstance(t, str)}
    if isinstance(prop.get("const"), bool):
        return {"boolean"}
    return set()


def _property_schemas(schema: Mapping, where: tuple = ()):
    """Yield (pointer parts, name, schema) for every property, nested objects and arrays included."""
    props = schema.get("properties")
    if isinstance(props, Mapping):
        for name, prop in props.items():
            if isinstance(prop, Mapping):
                here = (*where, "properties", name)
                yield here, name, prop
                yield from _property_schemas(prop, here)
    items = schema.get("items")
    if isinstance(items, Mapping):
        here = (*where, "items")
        yield here, f"{where[-1] if where else ''}[]", items
        yield from _property_schemas(items, here)


def check_form_schema(schema, file_name) -> None:
    """SpecError unless `schema` is a valid draft 2020-12 object schema whose texts are bounded."""
    if not isinstance(schema, Mapping):
        raise SpecError("le formulaire doit être un objet JSON.", file=file_name)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = f" (à {_pointer(exc.path)})" if exc.path else ""
        raise SpecError(f"schéma JSON invalide{where} : {exc.message}", file=file_name) from exc
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), Mapping):
        raise SpecError(
            "le formulaire doit être de type « object » et déclarer ses « properties ».",
            file=file_name,
        )
    for parts, name, prop in _property_schemas(schema):
        if "string" in _types(prop) and "maxLength" not in prop:
            raise SpecError(
                f"la propriété « {name} » ({_pointer(parts)}) est un texte sans « maxLength ».",
                file=file_name,
            )
        choices = prop.get("x-ipt-choices")
        if choices is not None and (not isinstance(choices, str) or not choices):
            raise SpecError(
                f"la propriété « {name} » : « x-ipt-choices » doit être un nom de liste.",
                file=file_name,
            )


# --------------------------------------------------------------------------- run-time choices


def resolve_schema(schema: Mapping, choices: dict[str, list[tuple[str, str]]]) -> dict:
    """Deep copy of `schema` where each `x-ipt-choices: NAME` property gets
    `oneOf: [{const, title}, ...]` from choices[NAME]; an unknown NAME gives an empty list, so no
    value is accepted."""
    resolved = copy.deepcopy(dict(schema))

    def walk(node):
        if isinstance(node, dict):
            name = node.get("x-ipt-choices")
            if isinstance(name, str):
                node["oneOf"] = [
                    {"const": value, "title": title} for value, title in choices.get(name, [])
                ]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(resolved)
    return resolved


# --------------------------------------------------------------------------- HTML input


def coerce_form_input(schema: Mapping, formdata) -> dict:
    """Typed data from an HTML form (str → str mapping, e.g. a werkzeug MultiDict).

    Only the schema's properties are kept; empty strings count as absent; strings are stripped
    (and CRLF normalised); booleans come from "oui"/"non" or "true"/"false"; integers/numbers are
    parsed when the schema says so. A value that cannot be converted is kept as the raw string,
    so that validation refuses it."""
    out: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        raw = formdata.get(name)
        if raw is None:
            continue
        if not isinstance(raw, str):
            out[name] = raw
            continue
        value = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
        if value == "":
            continue
        types = _types(prop) if isinstance(prop, Mapping) else set()
        if "boolean" in types and value.lower() in _TRUE_WORDS:
            out[name] = _TRUE_WORDS[value.lower()]
        elif "integer" in types and _INT_RE.fullmatch(value):
            out[name] = int(value)
        elif "number" in types and _NUMBER_RE.fullmatch(value):
            number = float(value)
            out[name] = int(number) if number.is_integer() and _INT_RE.fullmatch(value) else number
        else:
            out[name] = value
    return out


# --------------------------------------------------------------------------- validation


def _clean(data: Mapping) -> dict:
    cleaned = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
        elif value is None:
            continue
        cleaned[key] = value
    return cleaned


def _longest_string(value) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        return max((_longest_string(v) for v in value.values()), default=0)
    if isinstance(value, list | tuple):
        return max((_longest_string(v) for v in value), default=0)
    return 0


def _is_choice(prop: Mapping) -> bool:
    return (
        "enum" in prop
        or "x-ipt-choices" in prop
        or (
            isinstance(prop.get("oneOf"), list)
            and all(isinstance(s, Mapping) and "const" in s for s in prop["oneOf"])
        )
    )


def _type_message(prop: Mapping) -> str:
    if _is_choice(prop):
        return MSG_CHOICE
    if prop.get("format") == "date":
        return MSG_DATE
    types = _types(prop)
    if "boolean" in types:
        return MSG_BOOLEAN
    if "integer" in types:
        return MSG_INTEGER
    if "number" in types:
        return MSG_NUMBER
    return MSG_INVALID


def _describe(error: ValidationError, properties: Mapping) -> list[tuple[str, int, str]]:
    """(field, rank, French message) for one jsonschema error."""
    kind = error.validator
    path = list(error.absolute_path)
    if kind == "required":
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        missing = [p for p in error.validator_value if p not in instance]
        conditional = "then" in error.absolute_schema_path or "else" in error.absolute_schema_path
        out = []
        for name in missing:
            field = str(path[0]) if path else name
            prop = properties.get(name, {}) if not path else {}
            if conditional:
                message = _REQUIRED_IF_MESSAGES.get(name, MSG_REQUIRED_IF)
            elif isinstance(prop, Mapping) and prop.get("const") is True:
                message = MSG_CHECKED  # an unticked mandatory box
            else:
                message = MSG_REQUIRED
            out.append((field, _RANK_REQUIRED, message))
        return out
    if kind in ("additionalProperties", "unevaluatedProperties") and not path:
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        known = error.schema.get("properties", {})
        return [(str(k), _RANK_UNKNOWN, MSG_UNKNOWN) for k in instance if k not in known]
    if not path:
        return [(FORM_ERROR_KEY, _RANK_OTHER, MSG_FORM)]

    field = str(path[0])
    prop = properties.get(field, {})
    prop = prop if isinstance(prop, Mapping) else {}
    if kind == "type":
        return [(field, _RANK_TYPE, _type_message(prop) if len(path) == 1 else MSG_INVALID)]
    if kind == "const":
        if error.validator_value is True:
            return [(field, _RANK_CHOICE, MSG_CHECKED)]
        return [(field, _RANK_CHOICE, MSG_CHOICE if _is_choice(prop) else MSG_INVALID)]
    if kind in ("enum", "oneOf", "anyOf"):
        return [(field, _RANK_CHOICE, MSG_CHOICE if _is_choice(prop) else MSG_INVALID)]
    if kind == "format":
        return [(field, _RANK_FORMAT, MSG_DATE if error.validator_value == "date" else MSG_INVALID)]
    if kind == "maxLength":
        return [(field, _RANK_LENGTH, MSG_TOO_LONG.format(n=error.validator_value))]
    return [(field, _RANK_OTHER, MSG_INVALID)]


def validate_form(
    schema: Mapping, data: Mapping, max_text_length: int = DEFAULT_MAX_TEXT_LENGTH
) -> dict:
    """Validate `data` against the form `schema`; return the cleaned data (strings stripped,
    empty strings and None dropped). Unknown fields and strings longer than `max_text_length`
    are refused whatever the schema says. On failure, ValidationFailed({field: message})."""
    if not isinstance(data, Mapping):
        raise ValidationFailed({FORM_ERROR_KEY: MSG_FORM})
    properties = schema.get("properties") or {}
    cleaned = _clean(data)
    found: dict[str, tuple[int, str]] = {}

    def note(field: str, rank: int, message: str) -> None:
        if field not in found or rank < found[field][0]:
            found[field] = (rank, message)

    for key, value in cleaned.items():
        if key not in properties:
            note(str(key), _RANK_UNKNOWN, MSG_UNKNOWN)
        elif _longest_string(value) > max_text_length:
            note(key, _RANK_LENGTH, MSG_TOO_LONG.format(n=max_text_length))

    validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    for error in validator.iter_errors(cleaned):
        for field, rank, message in _describe(error, properties):
            note(field, rank, message)

    if found:
        raise ValidationFailed({field: message for field, (_, message) in found.items()})
    return cleaned
