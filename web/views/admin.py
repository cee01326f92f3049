"""Administration pages of background work: the outbox e-mails and, in a demo, the product date.

The demo clock exists only with IPT_CLOCK_ADJUSTABLE: the date is kept in the database so the
web, worker and beat processes share it (each request starts by reading it); otherwise 404.
"""

from __future__ import annotations

import datetime as dt
import functools

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from engine import audit
from engine.background import clockstore
from engine.clock import clock
from engine.errors import Forbidden
from engine.models import OutboxMessage
from web.db import get_db, get_runtime
from web.views.auth import staff_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50
MAIL_STATUSES = {
    "pending": "en attente",
    "claimed": "en cours",
    "sent": "envoyé",
    "failed": "échec",
    "cancelled": "annulé",
}
STEPS = {"jour": 1, "semaine": 7}


def init_app(app) -> None:
    """Register before any other request hook: the actor's checks already use the shared date."""
    if app.extensions["ipt_runtime"].settings.clock_adjustable:

        @app.before_request
        def _sync_demo_clock():
            clockstore.sync(get_db())


def admin_required(view):
    @functools.wraps(view)
    @staff_required
    def wrapped(**kwargs):
        if not g.actor.is_admin:
            raise Forbidden("Page réservée à l'administration.")
        return view(**kwargs)

    return wrapped


def clock_adjustable() -> bool:
    return get_runtime().settings.clock_adjustable


# -- demo clock ----------------------------------------------------------------------------------
@bp.route("/horloge", methods=["GET", "POST"])
def demo_clock():
    if not clock_adjustable():
        abort(404)  # production runs on the real date: the page does not exist
    return _demo_clock()


@admin_required
def _demo_clock():
    if request.method == "GET":
        return render_template("admin_clock.html", error=None, value="")
    today = clock.today()
    step = request.form.get("avancer")
    value = (request.form.get("date") or "").strip()
    if step in STEPS:
        day = today + dt.timedelta(days=STEPS[step])
    else:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return _clock_error("Date invalide : choisissez un jour (JJ/MM/AAAA).", value)
        if day < today:
            return _clock_error(
                f"On ne revient pas en arrière : la date de démonstration est le "
                f"{today:%d/%m/%Y} ; choisissez ce jour ou un jour suivant.",
                value,
            )
    db = get_db()
    clockstore.store(db, day, g.actor.label)
    audit.record(db, g.actor, "horloge_reglee", f"Date de démonstration réglée au {day:%d/%m/%Y}.")
    db.commit()
    flash(f"Date de démonstration : {day:%d/%m/%Y}.", "ok")
    return redirect(url_for("admin.demo_clock"))


def _clock_error(message, value):
    return render_template("admin_clock.html", error=message, value=value[:20]), 422


# -- outbox e-mails ------------------------------------------------------------------------------
@bp.get("/courriels")
@admin_required
def mails():
    """Latest first; the subject only, never the body (parents' links carry personal tokens)."""
    db = get_db()
    status = request.args.get("statut") or None
    if status not in MAIL_STATUSES:
        status = None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    emails = select(OutboxMessage).where(OutboxMessage.kind == "email")
    if status:
        emails = emails.where(OutboxMessage.status == status)
    rows = db.scalars(
        emails.order_by(OutboxMessage.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    counts = dict(
        db.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.kind == "email")
            .group_by(OutboxMessage.status)
        ).all()
    )
    return render_template(
        "admin_mails.html",
        rows=[_mail_row(m) for m in rows[:PAGE_SIZE]],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        status=status,
        counts=counts,
        statuses=MAIL_STATUSES,
    )


def _mail_row(message) -> dict:
    payload = message.payload or {}
    return {
        "id": message.id,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "recipient": message.recipient,
        "subject": payload.get("subject") or "—",
        "status": message.status,
        "attempts": message.attempts,
        "last_error": message.last_error,
    }
