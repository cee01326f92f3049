"""The hand-written OpenAPI document is valid 3.1 and covers every /api/v1 route."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from web.api.openapi import DOCUMENT


def test_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_is_documented(app):
    prefix = "/api/v1"
    documented = {
        (path, method.upper()) for path, item in DOCUMENT["paths"].items() for method in item
    }
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(prefix) :])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method))
    assert routes, "no API route registered"
    assert routes == documented


def test_documented_errors_include_the_usual_codes():
    complete = DOCUMENT["paths"]["/tasks/{task_id}/complete"]["post"]["responses"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(complete)
    assert DOCUMENT["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
