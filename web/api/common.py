"""Small helpers shared by the API views: request bodies, ids, dates."""

from __future__ import annotations

import datetime as dt

from flask import request

from engine.errors import IPTError, ValidationFailed


class BadRequest(IPTError):
    """A request the API cannot read (not JSON, not an object): 400."""

    code = "requete_invalide"


def json_body() -> dict:
    """The request's JSON object; an empty body counts as {}."""
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("Le corps de la requête doit être un objet JSON.")
    return data


def int_field(value, name: str, *, required=True) -> int | None:
    if value in (None, ""):
        if required:
            raise ValidationFailed({name: "Ce champ est obligatoire."})
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ValidationFailed({name: "Saisissez un nombre entier."})


def iso(value) -> str | None:
    """ISO 8601; naive datetimes (SQLite) were stored as UTC."""
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()
