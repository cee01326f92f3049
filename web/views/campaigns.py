"""The yearly prolongation campaign: its progress (administration: every pôle; a pôle: its own),
the CSV export and the administration's « Ouvrir la campagne maintenant »."""

from __future__ import annotations

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from engine import calendar
from engine.background import campaigns
from engine.errors import Forbidden, RuleViolation, ValidationFailed
from engine.models import Campaign
from web.db import get_db, get_runtime
from web.views.auth import staff_required

bp = Blueprint("campaigns", __name__)
REFRESH_SECONDS = 15


@bp.get("/campagnes")
@staff_required
def index():
    db = get_db()
    campaigns.visible_poles(db, g.actor)  # Forbidden (403) for anyone but admin and pôles
    year = campaigns.current_year()
    opens, due = get_runtime().schedule.campaign_dates(year)
    rows = db.scalars(select(Campaign).order_by(Campaign.school_year.desc())).all()
    return render_template(
        "campaigns.html",
        year=year,
        opens=opens,
        due=due,
        last_day=calendar.last_day(year),
        current=campaigns.get(db, year),
        rows=rows,
    )


@bp.get("/campagnes/<int:year>")
@staff_required
def show(year):
    db = get_db()
    poles = campaigns.visible_poles(db, g.actor)
    data = campaigns.progress(db, year, poles)
    opens, due = get_runtime().schedule.campaign_dates(year)
    return render_template(
        "campaign.html",
        data=data,
        opens=opens,
        due=due,
        own_poles=poles is not None,
        party_labels=campaigns.PARTY_LABELS,
        refresh=REFRESH_SECONDS,
    )


@bp.get("/campagnes/<int:year>.csv")
@staff_required
def export(year):
    db = get_db()
    data = campaigns.progress(db, year, campaigns.visible_poles(db, g.actor))
    body = "\ufeff" + campaigns.progress_csv(data)  # the BOM makes Excel read UTF-8 accents
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="campagne-{data["label"]}.csv"',
        },
    )


@bp.post("/campagnes")
@staff_required
def open_now():
    db = get_db()
    if not g.actor.is_admin:
        raise Forbidden("Seule l'administration ouvre la campagne de prolongation.")
    try:
        year = campaigns.parse_year(request.form.get("year", ""))
        campaign = campaigns.open_campaign(db, get_runtime(), year, g.actor.label)
    except campaigns.CampaignRunning as err:
        db.rollback()
        flash(err.message, "ok")
        return redirect(url_for("campaigns.show", year=err.campaign.school_year))
    except (RuleViolation, ValidationFailed) as err:
        db.rollback()
        flash(err.message, "error")
        return redirect(url_for("campaigns.index"))
    db.commit()
    flash(
        f"Campagne {calendar.label(year)} ouverte : {campaign.total} dossiers en IPT, "
        f"traités en arrière-plan ({campaign.chunks} lot{'s' if campaign.chunks > 1 else ''}).",
        "ok",
    )
    return redirect(url_for("campaigns.show", year=year))


def may_follow(db, actor) -> bool:
    """For the navigation: the administration and the pôles follow the campaign."""
    if actor is None or actor.is_parent:
        return False
    try:
        campaigns.visible_poles(db, actor)
    except Forbidden:
        return False
    return True
