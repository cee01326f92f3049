"""Login, logout and who is acting (`g.actor`): a staff user or a parent through their link."""

from __future__ import annotations

import functools

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from engine.auth import authenticate
from engine.clock import as_utc, clock
from engine.context import Actor
from engine.errors import AuthError
from engine.models import Guardian, Organisation, ParentLink, User
from web.db import get_db, get_runtime

bp = Blueprint("auth", __name__)


@bp.before_app_request
def load_actor():
    """g.actor from the session: a user id, or a still-valid parent link."""
    g.actor = g.user = g.guardian = None
    g.organisations = []
    db = get_db()
    user_id, link_id = session.get("user_id"), session.get("parent_link_id")
    if user_id is not None:
        user = db.get(User, user_id)
        if user is None or not user.active:
            session.clear()
            return
        g.user, g.actor = user, Actor.for_user(user)
        ids = sorted(g.actor.org_ids)
        g.organisations = [db.get(Organisation, i) for i in ids]
    elif link_id is not None:
        link = db.get(ParentLink, link_id)
        if (
            link is None
            or link.guardian_id != session.get("guardian_id")
            or link.revoked_at is not None
            or as_utc(link.expires_at) <= clock.now()
        ):
            session.clear()  # a revoked or expired link ends the parent's session too
            return
        g.guardian = db.get(Guardian, link.guardian_id)
        g.actor = Actor.for_guardian(g.guardian)


def login_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.actor is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(**kwargs)

    return wrapped


def staff_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.actor is None or g.actor.is_parent:
            return redirect(url_for("auth.login", next=request.path))
        return view(**kwargs)

    return wrapped


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    email = ""
    error = None
    status = 200
    if request.method == "POST":
        email = (request.form.get("email") or "").strip()
        db = get_db()
        try:
            user = authenticate(
                db, email, request.form.get("password") or "", get_runtime().settings
            )
        except AuthError as err:
            db.commit()  # the failure count (and a lock) must persist
            error, status = err.message, 401
        else:
            db.commit()
            session.clear()
            session.permanent = True  # expires after IPT_SESSION_HOURS (minors' data)
            session["user_id"] = user.id
            flash(f"Bienvenue, {user.full_name}.", "ok")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", email=email, error=error), status


@bp.post("/deconnexion")
def logout():
    session.clear()
    flash("Vous êtes déconnecté(e).", "ok")
    return redirect(url_for("auth.login"))


@bp.get("/")
def home():
    if g.actor is None:
        return redirect(url_for("auth.login"))
    if g.actor.is_parent:
        return redirect(url_for("parents.home"))
    return redirect(url_for("tasks.inbox"))


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a login to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("tasks.inbox")
