"""The API's OpenAPI 3.1 document, written by hand (a test checks it covers every route)."""

from __future__ import annotations

from flask import jsonify

from web.api import api_bp, documents


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return {"$ref": f"#/components/responses/{description}"}


STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
NDATE = {"type": ["string", "null"], "format": "date"}
NDATETIME = {"type": ["string", "null"], "format": "date-time"}
INT = {"type": "integer"}

SCHEMAS = {
    "Error": {
        "type": "object",
        "description": "Toute erreur : un code stable, un message en français, et pour 422 le "
        "message de chaque champ refusé.",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "examples": ["donnees_invalides", "interdit"]},
            "message": STR,
            "errors": {"type": "object", "additionalProperties": STR},
        },
    },
    "TokenRequest": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {"email": {"type": "string", "format": "email"}, "password": STR},
    },
    "Token": {
        "type": "object",
        "required": ["token", "expires_at"],
        "properties": {
            "token": STR,
            "token_type": {"const": "Bearer"},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    },
    "Pupil": {
        "type": "object",
        "properties": {"last_name": STR, "first_name": STR},
        "additionalProperties": True,
    },
    "DossierRef": {"type": "object", "properties": {"id": INT, "reference": STR}},
    "Task": {
        "type": "object",
        "required": ["id", "name", "lane", "stage", "state", "dossier", "pupil", "created_at"],
        "properties": {
            "id": STR,
            "name": STR,
            "bpmn_id": STR,
            "lane": STR,
            "party": STR,
            "stage": NSTR,
            "state": {"enum": ["open", "completed", "cancelled"]},
            "due_date": NDATE,
            "created_at": {"type": "string", "format": "date-time"},
            "completed_at": NDATETIME,
            "completed_by": NSTR,
            "dossier": _ref("DossierRef"),
            "pupil": _ref("Pupil"),
        },
    },
    "TaskDetail": {
        "allOf": [
            _ref("Task"),
            {
                "type": "object",
                "properties": {
                    "form": {
                        "type": ["object", "null"],
                        "description": "Le formulaire de la tâche : un JSON Schema (draft "
                        "2020-12), listes de choix résolues.",
                    }
                },
            },
        ]
    },
    "DossierSummary": {
        "type": "object",
        "required": ["id", "reference", "stage", "status", "pupil"],
        "properties": {
            "id": INT,
            "reference": STR,
            "pupil": _ref("Pupil"),
            "stage": {
                "enum": ["proposition", "recherche_partenaire", "projet", "protocole", "ipt"]
            },
            "stage_label": STR,
            "status": {"enum": ["en_cours", "proposition_refusee", "cloture", "ipt_en_place"]},
            "status_label": STR,
            "target_year": INT,
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "Organisation": {
        "type": "object",
        "properties": {"id": INT, "name": STR, "fase": STR, "kind": STR},
    },
    "Partner": {
        "allOf": [
            _ref("Organisation"),
            {
                "type": "object",
                "description": "Nom et FASE tels qu'enregistrés au dossier ; `current_name` / "
                "`current_fase` si l'annuaire a changé depuis.",
                "properties": {"party": STR, "current_name": STR, "current_fase": STR},
                "required": ["party"],
            },
        ]
    },
    "Guardian": {
        "type": "object",
        "description": "Un responsable légal (jamais ses jetons de lien).",
        "properties": {
            "id": INT,
            "position": INT,
            "last_name": STR,
            "first_name": STR,
            "capacity": STR,
            "email": NSTR,
            "phone": NSTR,
        },
    },
    "Decision": {
        "type": "object",
        "description": "Un avis ou un accord : qui (nom, qualité), quand, quoi, pourquoi.",
        "properties": {
            "id": INT,
            "stage": STR,
            "kind": {"enum": ["avis", "accord"]},
            "party": STR,
            "value": STR,
            "decided_on": {"type": "string", "format": "date"},
            "justification": NSTR,
            "person_name": STR,
            "capacity": STR,
            "on_paper": {"type": "boolean"},
            "superseded": {"type": "boolean"},
            "recorded_at": {"type": "string", "format": "date-time"},
            "task_id": NSTR,
        },
    },
    "PartnerRequest": {
        "type": "object",
        "properties": {
            "id": INT,
            "eo_school": _ref("Organisation"),
            "pole": {"oneOf": [_ref("Organisation"), {"type": "null"}]},
            "requested_on": {"type": "string", "format": "date"},
            "parents_agree": {"type": "boolean"},
            "answer": NSTR,
            "answered_on": NDATE,
            "reason": NSTR,
            "ended_reason": NSTR,
        },
    },
    "HistoryEntry": {
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "actor": STR,
            "action": STR,
            "summary": STR,
        },
    },
    "Dossier": {
        "allOf": [
            _ref("DossierSummary"),
            {
                "type": "object",
                "properties": {
                    "initiator": STR,
                    "eligibility_rule": NSTR,
                    "status_reason": NSTR,
                    "eo_acceptance_date": NDATE,
                    "enrolment_priority": {
                        "type": ["boolean", "null"],
                        "description": "R-PROP-6 : priorité « élève à besoins spécifiques – IPT » "
                        "(null : sans objet ou pas encore déterminée).",
                    },
                    "enrolment_priority_reason": NSTR,
                    "ipt_start_date": NDATE,
                    "closed_at": NDATETIME,
                    "steps": {"type": "array", "items": {"type": "object"}},
                    "partners": {"type": "array", "items": _ref("Partner")},
                    "guardians": {"type": "array", "items": _ref("Guardian")},
                    "decisions": {"type": "array", "items": _ref("Decision")},
                    "partner_requests": {"type": "array", "items": _ref("PartnerRequest")},
                    "open_tasks": {"type": "array", "items": _ref("Task")},
                    "history": {
                        "type": "array",
                        "description": "Le journal du dossier (les simples consultations, "
                        "journalisées aussi, n'y figurent pas).",
                        "items": _ref("HistoryEntry"),
                    },
                },
            },
        ]
    },
    "GuardianInput": {
        "type": "object",
        "required": ["last_name", "first_name", "capacity"],
        "properties": {
            "last_name": {"type": "string", "maxLength": 100},
            "first_name": {"type": "string", "maxLength": 100},
            "capacity": {
                "enum": [
                    "mère",
                    "père",
                    "tuteur",
                    "tutrice",
                    "autre responsable légal",
                    "élève majeur",
                ]
            },
            "email": {"type": ["string", "null"], "maxLength": 200},
            "phone": {"type": ["string", "null"], "maxLength": 40},
        },
    },
    "PropositionInput": {
        "type": "object",
        "description": "Une proposition d'IPT (R-PROP-1) ; l'éligibilité (R-ELIG-1/2) est "
        "vérifiée à l'ouverture.",
        "required": [
            "pupil_last_name",
            "pupil_first_name",
            "pupil_birth_date",
            "es_enrolment_date",
            "es_attendance_since",
            "initiator",
            "es_school_id",
            "guardians",
        ],
        "properties": {
            "pupil_last_name": {"type": "string", "maxLength": 100},
            "pupil_first_name": {"type": "string", "maxLength": 100},
            "pupil_cf": {"type": ["string", "null"], "maxLength": 30},
            "pupil_birth_date": {"type": "string", "format": "date"},
            "pupil_sex": {"enum": ["F", "M", "X", None]},
            "es_type": {"type": ["string", "null"], "maxLength": 10},
            "year_of_study": {"type": ["string", "null"], "maxLength": 40},
            "es_enrolment_date": {"type": "string", "format": "date"},
            "es_attendance_since": {"type": "string", "format": "date"},
            "in_es": {"type": "boolean", "default": True},
            "previous_ipt_end": NDATE,
            "enters_first_secondary": {"type": "boolean", "default": False},
            "community": {
                "enum": ["fwb", "vl", "de"],
                "default": "fwb",
                "description": "R-COMM : Communauté de l'école spécialisée d'origine.",
            },
            "initiator": {"enum": ["conseil_de_classe", "cpms_es", "parents"]},
            "es_school_id": INT,
            "cpms_es_id": {"type": ["integer", "null"]},
            "guardians": {
                "type": "array",
                "minItems": 1,
                "maxItems": 2,
                "items": _ref("GuardianInput"),
            },
        },
    },
    "Completion": {
        "type": "object",
        "properties": {
            "task": _ref("Task"),
            "dossier": _ref("DossierSummary"),
            "open_tasks": {"type": "array", "items": _ref("Task")},
        },
    },
    "ParentLinkRequest": {
        "type": "object",
        "required": ["guardian_id"],
        "properties": {"guardian_id": INT},
    },
    "ParentLink": {
        "type": "object",
        "required": ["url", "token", "expires_at"],
        "properties": {
            "url": {"type": "string", "format": "uri"},
            "token": STR,
            "expires_at": {"type": "string", "format": "date-time"},
            "guardian_id": INT,
        },
    },
}

SCHEMAS["StopRequestInput"] = {
    "type": "object",
    "required": ["reason", "justification", "at_year_end"],
    "properties": {
        "reason": {
            "enum": [
                "retour_es",
                "certificat",
                "eo_sans_accompagnement",
                "changement_ecole",
                "changement_pole",
                "autre",
            ],
        },
        "reason_text": {"type": "string", "description": "Obligatoire pour « autre »."},
        "justification": STR,
        "at_year_end": {"type": "boolean"},
        "event_date": {"type": "string", "format": "date", "description": "Si en cours d'année."},
    },
}
SCHEMAS["StopRequest"] = {
    "type": "object",
    "properties": {
        "id": INT,
        "dossier_id": INT,
        "requested_by_party": STR,
        "requested_by": STR,
        "requested_at": {"type": "string", "format": "date-time"},
        "reason": STR,
        "reason_text": NSTR,
        "justification": STR,
        "at_year_end": {"type": "boolean"},
        "event_date": NDATE,
        "status": {"enum": ["en_cours", "acceptee", "refusee"]},
        "end_date": NDATE,
    },
}

SCHEMAS["ConcertationInput"] = {
    "type": "object",
    "required": ["held_on", "participants", "minutes"],
    "properties": {
        "held_on": {"type": "string", "format": "date"},
        "participants": STR,
        "minutes": STR,
    },
}
SCHEMAS["Concertation"] = {
    "type": "object",
    "properties": {
        "id": INT,
        "school_year": INT,
        "held_on": {"type": "string", "format": "date"},
        "participants": STR,
        "minutes": STR,
        "recorded_by": STR,
        "recorded_at": {"type": "string", "format": "date-time"},
    },
}

SCHEMAS["Prolongation"] = {
    "type": "object",
    "properties": {
        "id": INT,
        "dossier_id": INT,
        "school_year": STR,
        "status": {"enum": ["en_cours", "favorable", "declaree", "non_prolongee", "annulee"]},
        "started_at": {"type": "string", "format": "date-time"},
        "started_by": STR,
        "decided_at": NDATETIME,
    },
}

COUNTS = {
    "type": "object",
    "description": "eligible : dossiers en IPT ; started : prolongations lancées ; waiting : en "
    "attente d'avis ; late : tâches en retard ; flagged : sans décision au dernier jour de l'année.",
    "properties": {
        k: INT
        for k in ("eligible", "started", "waiting", "favorable", "defavorable", "late", "flagged")
    },
}
DOSSIER_LINE = {
    "type": "object",
    "properties": {"dossier_id": INT, "reference": NSTR},
    "additionalProperties": True,
}
SCHEMAS["CampaignProgress"] = {
    "type": "object",
    "description": "Avancement de la campagne de prolongation tenue pendant l'année scolaire "
    "`year` (prolongations pour `year + 1`). Un pôle ne voit que ses dossiers.",
    "required": ["year", "label", "campaign", "expected", "total", "per_pole", "chunks"],
    "properties": {
        "year": INT,
        "label": {"type": "string", "examples": ["2026-2027"]},
        "campaign": {
            "type": ["object", "null"],
            "description": "null : pas encore ouverte.",
            "properties": {
                "state": {"enum": ["ouverte", "cloturee"]},
                "opened_at": {"type": "string", "format": "date-time"},
                "opened_by": STR,
                "opens_on": {"type": "string", "format": "date"},
                "due_on": {"type": "string", "format": "date"},
                "closed_at": NDATETIME,
            },
        },
        "expected": {**INT, "description": "Dossiers confiés à la campagne."},
        "percent": INT,
        "total": COUNTS,
        "per_pole": {
            "type": "array",
            "items": {"allOf": [COUNTS, {"type": "object", "properties": {"pole": STR}}]},
        },
        "waiting_for": {
            "type": "object",
            "description": "Tâches ouvertes par partie (eo_school, pole, cpms_eo, parents…).",
            "additionalProperties": INT,
        },
        "chunks": {"type": "object", "properties": {"done": INT, "total": INT}},
        "problems": {
            "type": "array",
            "description": "Dossiers que la campagne n'a pas pu lancer, et pourquoi.",
            "items": {**DOSSIER_LINE, "properties": {**DOSSIER_LINE["properties"], "message": STR}},
        },
        "no_contact": {
            "type": "array",
            "description": "Dossiers dont l'école ordinaire n'a pas d'adresse de contact.",
            "items": {**DOSSIER_LINE, "properties": {**DOSSIER_LINE["properties"], "school": STR}},
        },
        "flagged": {"type": "array", "items": DOSSIER_LINE},
    },
}
SCHEMAS["CampaignRunning"] = {
    "allOf": [
        _ref("Error"),
        {
            "type": "object",
            "properties": {
                "error": {"const": "campagne_ouverte"},
                "progress": _ref("CampaignProgress"),
            },
        },
    ]
}

RESPONSES = {
    "BadRequest": _json(_ref("Error"), "Requête illisible (corps qui n'est pas un objet JSON)."),
    "Unauthorized": {
        **_json(_ref("Error"), "Jeton manquant, invalide, expiré ou révoqué."),
        "headers": {"WWW-Authenticate": {"schema": STR}},
    },
    "Forbidden": _json(
        _ref("Error"),
        "Vous n'êtes pas partenaire de ce dossier, ou la tâche ne vous est pas adressée.",
    ),
    "NotFound": _json(_ref("Error"), "Introuvable."),
    "TooManyRequests": {
        **_json(_ref("Error"), "Trop de tentatives échouées pour cette adresse : attendre."),
        "headers": {"Retry-After": {"schema": INT, "description": "secondes"}},
    },
    "Conflict": _json(
        _ref("Error"),
        "Tâche déjà complétée (ou annulée), ou modifiée en même temps par quelqu'un d'autre.",
    ),
    "Unprocessable": _json(
        _ref("Error"),
        "Données refusées : `errors` donne le message de "
        "chaque champ ; ou proposition non éligible (motif dans `message`).",
    ),
}

TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": STR}
DOSSIER_ID = {"name": "dossier_id", "in": "path", "required": True, "schema": INT}


def _std(*codes: str) -> dict:
    names = {
        "400": "BadRequest",
        "401": "Unauthorized",
        "403": "Forbidden",
        "404": "NotFound",
        "409": "Conflict",
        "422": "Unprocessable",
        "429": "TooManyRequests",
    }
    return {code: _error(names[code]) for code in codes}


PATHS = {
    "/auth/token": {
        "post": {
            "operationId": "issueToken",
            "summary": "Obtenir un jeton d'accès (personnel des écoles, CPMS, pôles)",
            "description": "Après plusieurs échecs pour une même adresse, la connexion est "
            "bloquée quelques minutes (réponse 401 avec le délai).",
            "security": [],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("TokenRequest")}},
            },
            "responses": {
                "200": _json(_ref("Token"), "Jeton émis."),
                **_std("400", "401", "429"),
            },
        }
    },
    "/tasks": {
        "get": {
            "operationId": "listTasks",
            "summary": "Mes tâches ouvertes",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {"tasks": {"type": "array", "items": _ref("Task")}},
                    },
                    "Les tâches adressées à mes organisations et rôles (ou, par un lien "
                    "parent, aux parents de ce dossier).",
                ),
                **_std("401"),
            },
        }
    },
    "/tasks/{task_id}": {
        "get": {
            "operationId": "getTask",
            "summary": "Une tâche et son formulaire (JSON Schema)",
            "parameters": [TASK_ID],
            "responses": {
                "200": _json(_ref("TaskDetail"), "La tâche."),
                **_std("401", "403", "404"),
            },
        }
    },
    "/tasks/{task_id}/complete": {
        "post": {
            "operationId": "completeTask",
            "summary": "Compléter une tâche",
            "description": "Le corps est la réponse au formulaire de la tâche. `guardian_id` "
            "(dans le corps ou la requête) : pour le personnel qui encode l'accord d'un parent "
            "signé sur papier.",
            "parameters": [
                TASK_ID,
                {"name": "guardian_id", "in": "query", "required": False, "schema": INT},
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"guardian_id": INT},
                            "additionalProperties": True,
                        }
                    }
                },
            },
            "responses": {
                "200": _json(_ref("Completion"), "Tâche complétée ; étape et statut du dossier."),
                **_std("400", "401", "403", "404", "409", "422"),
            },
        }
    },
    "/tasks/{task_id}/reopen": {
        "post": {
            "operationId": "reopenTask",
            "summary": "Rouvrir un avis ou un accord pour le corriger",
            "description": "Possible tant que l'étape n'est pas terminée (par ex. les autres "
            "avis de la proposition ne sont pas tous donnés) ; l'avis actuel reste dans "
            "l'historique et sera remplacé par le nouveau.",
            "parameters": [TASK_ID],
            "responses": {
                "200": _json(_ref("Task"), "Tâche rouverte : elle est de nouveau à compléter."),
                **_std("401", "403", "404", "409", "422"),
            },
        }
    },
    "/dossiers": {
        "get": {
            "operationId": "listDossiers",
            "summary": "Les dossiers dont je suis partenaire",
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "required": False,
                    "description": "Nom, prénom, numéro CF ou référence.",
                    "schema": {"type": "string", "maxLength": 100},
                }
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "dossiers": {"type": "array", "items": _ref("DossierSummary")}
                        },
                    },
                    "Les dossiers visibles (200 au plus, les plus récents d'abord).",
                ),
                **_std("401", "422"),
            },
        },
        "post": {
            "operationId": "openProposition",
            "summary": "Introduire une proposition d'IPT (ouvre un dossier)",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("PropositionInput")}},
            },
            "responses": {
                "201": {
                    **_json(_ref("Dossier"), "Dossier ouvert."),
                    "headers": {"Location": {"schema": STR}},
                },
                **_std("400", "401", "403", "422"),
            },
        },
    },
    "/dossiers/{dossier_id}": {
        "get": {
            "operationId": "getDossier",
            "summary": "Un dossier (chaque consultation est journalisée)",
            "parameters": [DOSSIER_ID],
            "responses": {
                "200": _json(_ref("Dossier"), "Le dossier."),
                **_std("401", "403", "404"),
            },
        }
    },
    "/dossiers/{dossier_id}/parent-links": {
        "post": {
            "operationId": "issueParentLink",
            "summary": "Émettre un nouveau lien personnel pour un parent",
            "description": "Direction de l'école spécialisée ou son délégué. Le lien précédent "
            "cesse de fonctionner. Le jeton sert aussi de jeton Bearer, limité à ce dossier.",
            "parameters": [DOSSIER_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("ParentLinkRequest")}},
            },
            "responses": {
                "201": _json(_ref("ParentLink"), "Lien émis (affiché une seule fois)."),
                **_std("400", "401", "403", "404", "422"),
            },
        }
    },
    "/dossiers/{dossier_id}/stop-requests": {
        "post": {
            "operationId": "requestStop",
            "summary": "Demander l'arrêt d'une IPT en place (R-ARRET-1…3)",
            "description": "Par l'école coopérante, le pôle, les parents (jeton de lien) ou le CPMS "
            "de l'école ordinaire. La demande est concertée ; l'arrêt prend effet quand les "
            "accords du pôle, de l'école et des parents sont donnés. 422 : motif, texte, "
            "justification ou date invalides, ou une demande déjà en cours.",
            "parameters": [DOSSIER_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("StopRequestInput")}},
            },
            "responses": {
                "201": _json(_ref("StopRequest"), "Demande enregistrée."),
                **_std("400", "401", "403", "404", "422"),
            },
        }
    },
    "/dossiers/{dossier_id}/concertations": {
        "post": {
            "operationId": "recordConcertation",
            "summary": "Encoder le compte rendu d'une concertation (R-EVAL-1)",
            "description": "École ordinaire, pôle ou CPMS de l'école ordinaire, une fois l'IPT en place.",
            "parameters": [DOSSIER_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("ConcertationInput")}},
            },
            "responses": {
                "201": _json(_ref("Concertation"), "Compte rendu enregistré."),
                **_std("400", "401", "403", "404", "422"),
            },
        }
    },
    "/dossiers/{dossier_id}/prolongations": {
        "post": {
            "operationId": "startProlongation",
            "summary": "Lancer la prolongation d'une IPT pour l'année scolaire suivante (R-PROL-1)",
            "description": "Le pôle du dossier ou l'administration ; une seule prolongation par "
            "dossier et par année (409 pour la seconde) ; 422 si le dossier n'est pas en IPT ou si "
            "l'année n'est pas la suivante.",
            "parameters": [DOSSIER_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["school_year"],
                            "properties": {
                                "school_year": {"type": "string", "example": "2027-2028"}
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": _json(_ref("Prolongation"), "Prolongation lancée."),
                **_std("400", "401", "403", "404", "409", "422"),
            },
        }
    },
    "/campaigns": {
        "post": {
            "operationId": "openCampaign",
            "summary": "Ouvrir maintenant la campagne de prolongation d'une année scolaire",
            "description": "Administration. La campagne se tient pendant l'année scolaire en "
            "cours ; ses dossiers sont traités par lots en arrière-plan. 409 (code "
            "`campagne_ouverte`) si elle est déjà ouverte, avec son avancement ; 422 pour une "
            "année illisible ou qui n'est pas l'année en cours.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["year"],
                            "properties": {
                                "year": {
                                    "type": ["integer", "string"],
                                    "examples": [2026, "2026-2027"],
                                }
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    **_json(_ref("CampaignProgress"), "Campagne ouverte."),
                    "headers": {"Location": {"schema": STR}},
                },
                "409": _json(_ref("CampaignRunning"), "Campagne déjà ouverte."),
                **_std("400", "401", "403", "422"),
            },
        }
    },
    "/campaigns/{year}": {
        "get": {
            "operationId": "getCampaign",
            "summary": "Avancement de la campagne de prolongation (administration ou pôle)",
            "parameters": [{"name": "year", "in": "path", "required": True, "schema": INT}],
            "responses": {
                "200": _json(_ref("CampaignProgress"), "Avancement."),
                **_std("401", "403"),
            },
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "openapiDocument",
            "summary": "Ce document",
            "security": [],
            "responses": {
                "200": {
                    "description": "Document OpenAPI 3.1.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
}

_doc_paths, _doc_schemas = documents.openapi(_std)  # the pupil file (§8)
PATHS.update(_doc_paths)
SCHEMAS.update(_doc_schemas)

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "IPT — API JSON",
        "version": "1.0.0",
        "description": "Intégration permanente totale : tâches, dossiers et liens parents. "
        "Les messages d'erreur sont en français.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "Jeton du personnel (POST /auth/token) ou jeton d'un lien "
                "personnel de parent (limité à son dossier).",
            }
        },
        "schemas": SCHEMAS,
        "responses": RESPONSES,
    },
}


@api_bp.get("/openapi.json")
def openapi_document():
    return jsonify(DOCUMENT)
