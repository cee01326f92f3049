"""Engine errors → HTTP status and French messages, in one place."""

from __future__ import annotations

from flask import jsonify, render_template, request

from engine import errors as e

STATUS = {
    e.NotFound: 404,
    e.Forbidden: 403,
    e.AlreadyCompleted: 409,
    e.ValidationFailed: 422,
    e.NotEligible: 422,
    e.RuleViolation: 422,
    e.AuthError: 401,
}


def status_for(err: e.IPTError) -> int:
    if err.code in ("conflit", "deja_demarree"):  # refused because it already happened
        return 409
    for cls, code in STATUS.items():
        if isinstance(err, cls):
            return code
    return 400


def error_payload(err: e.IPTError) -> dict:
    body = {"error": err.code, "message": err.message}
    if isinstance(err, e.ValidationFailed):
        body["errors"] = err.errors
    return body


def wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app):
    @app.errorhandler(e.IPTError)
    def _ipt_error(err):
        code = status_for(err)
        if wants_json():
            return jsonify(error_payload(err)), code
        return render_template("error.html", message=err.message, code=code), code

    for code, message in (
        (404, "Page introuvable."),
        (405, "Méthode non autorisée."),
        (413, "Envoi trop volumineux."),
        (400, "Requête invalide."),
    ):
        app.register_error_handler(code, _http_error(code, message))


def _http_error(code, message):
    def handler(_err):
        if wants_json():
            return jsonify({"error": "http", "message": message}), code
        return render_template("error.html", message=message, code=code), code

    return handler
