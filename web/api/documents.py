"""The pupil file through the API: list a dossier's documents, download one, upload an
attachment (multipart). The OpenAPI fragment for these routes is below (merged in openapi.py)."""

from __future__ import annotations

import io

from flask import jsonify, request, send_file, url_for

from engine import audit
from engine.documents import annexes, attachments, checklist
from engine.documents import service as documents
from web.api import api_bp
from web.api.auth import current_actor
from web.api.common import iso
from web.db import get_db, get_runtime

UPLOAD_FIELDS = ("kind", "school_year", "meeting_id", "note", "medical_only")


def _attachment(a, readable: bool) -> dict:
    kind = attachments.KINDS[a.kind]
    return {
        "id": a.id,
        "kind": a.kind,
        "kind_label": kind.label,
        "health": kind.health,
        "school_year": a.school_year,
        "meeting_id": a.meeting_id,
        "filename": a.filename if readable else None,
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
        "uploaded_at": iso(a.uploaded_at),
        "uploaded_by": a.uploaded_by_label,
        "download": url_for("api.download_attachment", dossier_id=a.dossier_id, attachment_id=a.id)
        if readable
        else None,
    }


def _annex(d) -> dict:
    return {
        "id": d.id,
        "annex": d.annex,
        "title": annexes.TITLES[d.annex],
        "occurrence": d.occurrence,
        "school_year": d.school_year,
        "version": d.version,
        "frozen_at": iso(d.frozen_at),
        "sha256": d.sha256,
        "size": d.size,
        "download": url_for(
            "api.download_annex",
            dossier_id=d.dossier_id,
            annex=d.annex,
            occurrence=d.occurrence or None,
            version=d.version,
        ),
    }


@api_bp.get("/dossiers/<int:dossier_id>/documents")
def list_documents(dossier_id: int):
    session, actor = get_db(), current_actor()
    dossier = documents.dossier_for(session, actor, dossier_id)
    listing = documents.listing(session, actor, dossier)
    body = {
        "annexes": [_annex(d) for d in listing["annexes"]],
        "attachments": [_attachment(f["row"], f["readable"]) for f in listing["attachments"]],
        "checklist": [
            {
                "key": r.key,
                "label": r.label,
                "status": r.status,
                "school_year": r.year,
                "note": r.note,
            }
            for r in listing["checklist"]
        ],
        "complete": checklist.complete(listing["checklist"]),
    }
    audit.record(
        session,
        actor,
        "documents_consultes",
        "Liste des documents consultée par l'API.",
        dossier.id,
    )
    session.commit()
    return jsonify(body)


@api_bp.get("/dossiers/<int:dossier_id>/annexes/<int:annex>")
def download_annex(dossier_id: int, annex: int):
    session = get_db()
    name, data = documents.annex_download(
        session,
        get_runtime(),
        current_actor(),
        dossier_id,
        annex,
        request.args.get("occurrence") or None,
        request.args.get("version", type=int),
    )
    session.commit()
    return send_file(io.BytesIO(data), "application/pdf", as_attachment=True, download_name=name)


@api_bp.get("/dossiers/<int:dossier_id>/attachments/<int:attachment_id>")
def download_attachment(dossier_id: int, attachment_id: int):
    session = get_db()
    row, data = attachments.download(
        session, get_runtime(), current_actor(), dossier_id, attachment_id
    )
    session.commit()
    return send_file(
        io.BytesIO(data), row.content_type, as_attachment=True, download_name=row.filename
    )


@api_bp.post("/dossiers/<int:dossier_id>/attachments")
def upload_attachment(dossier_id: int):
    session, actor = get_db(), current_actor()
    file = request.files.get("fichier")
    data = {k: request.form.get(k, "") for k in UPLOAD_FIELDS}
    row = attachments.upload(
        session,
        get_runtime(),
        actor,
        dossier_id,
        data,
        file.filename if file else "",
        file.read() if file else b"",
    )
    body = _attachment(row, True)
    session.commit()
    return jsonify(body), 201


# --- OpenAPI ---------------------------------------------------------------------------------
_ID = {"name": "dossier_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
_STATUS = {"type": "string", "enum": ["present", "manquant", "sans_objet", "a_venir"]}


def openapi(std) -> tuple[dict, dict]:
    """(paths, schemas) for openapi.py; `std` gives the usual error responses."""
    schemas = {
        "AnnexDocument": {
            "type": "object",
            "description": "Une version figée d'une annexe (jamais modifiée ; une correction crée "
            "une nouvelle version).",
            "properties": {
                "id": {"type": "integer"},
                "annex": {"type": "integer", "minimum": 1, "maximum": 8},
                "title": {"type": "string"},
                "occurrence": {"type": "string"},
                "school_year": {"type": ["integer", "null"]},
                "version": {"type": "integer"},
                "frozen_at": {"type": "string", "format": "date-time"},
                "sha256": {"type": ["string", "null"]},
                "size": {"type": ["integer", "null"]},
                "download": {"type": "string"},
            },
        },
        "Attachment": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "kind": {"type": "string", "enum": sorted(attachments.KINDS)},
                "kind_label": {"type": "string"},
                "health": {"type": "boolean"},
                "school_year": {"type": ["integer", "null"]},
                "meeting_id": {"type": ["integer", "null"]},
                "filename": {"type": ["string", "null"]},
                "content_type": {"type": "string"},
                "size": {"type": "integer"},
                "sha256": {"type": "string"},
                "uploaded_at": {"type": "string", "format": "date-time"},
                "uploaded_by": {"type": "string"},
                "download": {"type": ["string", "null"]},
            },
        },
        "ChecklistRow": {
            "type": "object",
            "properties": {
                "key": {"type": "string"},
                "label": {"type": "string"},
                "status": _STATUS,
                "school_year": {"type": ["integer", "null"]},
                "note": {"type": ["string", "null"]},
            },
        },
    }
    ref = {k: {"$ref": f"#/components/schemas/{k}"} for k in schemas}
    paths = {
        "/dossiers/{dossier_id}/documents": {
            "get": {
                "operationId": "listDocuments",
                "summary": "Le dossier de l'élève (§8) : annexes figées, pièces, liste de contrôle",
                "parameters": [_ID],
                "responses": {
                    "200": {
                        "description": "Les documents. Les noms des documents de santé ne sont "
                        "donnés qu'aux rôles qui y ont accès.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "annexes": {"type": "array", "items": ref["AnnexDocument"]},
                                        "attachments": {
                                            "type": "array",
                                            "items": ref["Attachment"],
                                        },
                                        "checklist": {
                                            "type": "array",
                                            "items": ref["ChecklistRow"],
                                        },
                                        "complete": {"type": "boolean"},
                                    },
                                }
                            }
                        },
                    },
                    **std("401", "403", "404"),
                },
            }
        },
        "/dossiers/{dossier_id}/annexes/{annex}": {
            "get": {
                "operationId": "downloadAnnex",
                "summary": "Télécharger une annexe (PDF)",
                "description": "La dernière version figée (ou `version`, `occurrence` : année "
                "scolaire pour les annexes 3 et 7, `arret-<id>` pour l'annexe 8). L'annexe 6 est "
                "établie à la demande. 404 `pas_encore_disponible` si son étape n'a pas eu lieu.",
                "parameters": [
                    _ID,
                    {
                        "name": "annex",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                    {
                        "name": "occurrence",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "version",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer"},
                    },
                ],
                "responses": {
                    "200": {"description": "Le PDF.", "content": _PDF},
                    **std("401", "403", "404"),
                },
            }
        },
        "/dossiers/{dossier_id}/attachments": {
            "post": {
                "operationId": "uploadAttachment",
                "summary": "Déposer une pièce (PDF, PNG ou JPEG, vérifiés par leur contenu)",
                "parameters": [_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["fichier", "kind"],
                                "properties": {
                                    "fichier": {"type": "string", "format": "binary"},
                                    "kind": {"type": "string", "enum": sorted(attachments.KINDS)},
                                    "school_year": {"type": "string", "examples": ["2026-2027"]},
                                    "meeting_id": {"type": "integer"},
                                    "note": {"type": "string"},
                                    "medical_only": {"type": "string", "enum": ["oui"]},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "Pièce déposée.",
                        "content": {"application/json": {"schema": ref["Attachment"]}},
                    },
                    **std("400", "401", "403", "404", "422"),
                    "413": {
                        "description": "Envoi trop volumineux (au-delà de IPT_MAX_UPLOAD_MB + 1 Mo).",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                },
            }
        },
        "/dossiers/{dossier_id}/attachments/{attachment_id}": {
            "get": {
                "operationId": "downloadAttachment",
                "summary": "Télécharger une pièce (journalisé ; documents de santé : rôles habilités)",
                "parameters": [
                    _ID,
                    {
                        "name": "attachment_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "Le fichier.",
                        "content": {
                            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                            "image/png": {"schema": {"type": "string", "format": "binary"}},
                            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    **std("401", "403", "404"),
                },
            }
        },
    }
    return paths, schemas
