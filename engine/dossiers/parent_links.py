"""Parents act through a personal link: random, stored as SHA-256, scoped to one dossier and one
guardian, expiring, reissuable (the previous link stops working) and revocable."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from engine import audit
from engine.auth import new_token, token_digest
from engine.clock import as_utc, clock
from engine.errors import AuthError, Forbidden, NotFound
from engine.french import de
from engine.models import Guardian, OutboxMessage, ParentLink

RECENT = dt.timedelta(hours=24)


def notify(session, runtime, actor, dossier, opened_tasks) -> None:
    """A task now waits for the parents: each guardian with an e-mail gets a fresh link (the
    mail says what is asked), unless one was issued in the last 24 hours (its mail covers it)."""
    asked = [t.name for t in opened_tasks if t.party == "parents"]
    if not asked:
        return
    for guardian in dossier.guardians:
        if not guardian.email:
            continue
        latest = session.scalar(
            select(ParentLink)
            .where(ParentLink.guardian_id == guardian.id)
            .order_by(ParentLink.id.desc())
        )
        if (
            latest is not None
            and latest.revoked_at is None
            and as_utc(latest.created_at) > clock.now() - RECENT
        ):
            continue
        issue(session, runtime, actor, dossier, guardian, asked=asked)


def issue(session, runtime, actor, dossier, guardian, asked=(), send=True) -> str:
    """A new link for `guardian` (older ones revoked); the e-mail goes to the outbox (unless
    `send` is false: the caller, a reminder digest, mails it itself)."""
    now = clock.now()
    _revoke_all(session, guardian.id, now)
    raw, digest = new_token()
    link = ParentLink(
        dossier_id=dossier.id,
        guardian_id=guardian.id,
        token_hash=digest,
        created_at=now,
        created_by_id=actor.user_id,
        expires_at=now + dt.timedelta(days=runtime.settings.parent_link_days),
    )
    session.add(link)
    session.flush()
    url = f"{runtime.settings.base_url}/p/{raw}"
    if send:
        _mail_link(session, dossier, guardian, link, url, asked, now)
    audit.record(
        session,
        actor,
        "lien_parent_emis",
        f"Lien personnel émis pour {guardian.first_name} {guardian.last_name}.",
        dossier.id,
        guardian_id=guardian.id,
    )
    return raw


def _mail_link(session, dossier, guardian, link, url, asked, now) -> None:
    session.add(
        OutboxMessage(
            kind="email",
            dossier_id=dossier.id,
            recipient=guardian.email,
            created_at=now,
            payload={
                "subject": f"IPT {de(dossier.pupil_first_name)} {dossier.pupil_last_name} : votre lien personnel",
                "body": (
                    f"Bonjour {guardian.first_name} {guardian.last_name},\n\n"
                    "Le dossier d'intégration permanente totale (IPT) "
                    f"{de(dossier.pupil_first_name)} {dossier.pupil_last_name} "
                    + (
                        f"attend votre réponse : {', '.join(asked)}.\n"
                        if asked
                        else "est ouvert.\n"
                    )
                    + "Ce lien personnel vous permet de consulter le dossier et de donner votre avis "
                    f"ou votre accord, sans mot de passe :\n\n{url}\n\n"
                    f"Il est valable jusqu'au {link.expires_at:%d/%m/%Y}. Ne le transmettez à personne.\n"
                ),
                "url": url,
                "guardian_id": guardian.id,
                "link_id": link.id,
            },
        )
    )


def ensure_may_manage(actor, dossier) -> None:
    """Links are handed out by the ES direction (or its delegate), who knows the family."""
    if not actor.roles_in(dossier.es_school_id) & {"direction", "delegue"}:
        raise Forbidden("Seule la direction de l'école spécialisée gère les liens des parents.")


def reissue(session, runtime, actor, dossier, guardian_id: int) -> str:
    ensure_may_manage(actor, dossier)
    guardian = _guardian(session, dossier, guardian_id)
    return issue(session, runtime, actor, dossier, guardian)


def revoke(session, actor, dossier, guardian_id: int) -> int:
    ensure_may_manage(actor, dossier)
    guardian = _guardian(session, dossier, guardian_id)
    count = _revoke_all(session, guardian.id, clock.now())
    audit.record(
        session,
        actor,
        "lien_parent_revoque",
        f"Lien personnel révoqué pour {guardian.first_name} {guardian.last_name}.",
        dossier.id,
    )
    return count


def resolve(session, raw: str) -> tuple[ParentLink, Guardian]:
    """The link and guardian for a raw token; AuthError (French) if unknown/expired/revoked."""
    link = session.scalar(
        select(ParentLink).where(ParentLink.token_hash == token_digest(raw or ""))
    )
    if link is None:
        raise AuthError("Ce lien n'est pas valide. Demandez un nouveau lien à l'école.")
    if link.revoked_at is not None:
        raise AuthError("Ce lien a été remplacé ou révoqué. Demandez un nouveau lien à l'école.")
    if as_utc(link.expires_at) <= clock.now():
        raise AuthError("Ce lien a expiré. Demandez un nouveau lien à l'école.")
    link.last_used_at = clock.now()
    return link, session.get(Guardian, link.guardian_id)


def pending_links(session, dossier) -> dict[int, str]:
    """guardian id → URL of a live link not yet sent by e-mail: shown to the ES direction until
    the workers send it."""
    live = {}
    for msg in session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.dossier_id == dossier.id,
            OutboxMessage.kind == "email",
            OutboxMessage.status == "pending",
        )
        .order_by(OutboxMessage.id)
    ):
        payload = msg.payload or {}
        link = session.scalar(select(ParentLink).where(ParentLink.id == payload.get("link_id")))
        if link is not None and as_utc(link.expires_at) > clock.now():
            live[payload["guardian_id"]] = payload["url"]
    return live


def _revoke_all(session, guardian_id, now) -> int:
    """Revoke a guardian's live links and cancel their unsent e-mails (never mail a dead link)."""
    links = _active(session, guardian_id)
    ids = {link.id for link in links}
    for link in links:
        link.revoked_at = now
    if ids:
        dossier_ids = {link.dossier_id for link in links}
        for msg in session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "email",
                OutboxMessage.status == "pending",
                OutboxMessage.dossier_id.in_(dossier_ids),
            )
        ):
            if (msg.payload or {}).get("link_id") in ids:
                msg.status = "cancelled"
    return len(links)


def _active(session, guardian_id):
    return session.scalars(
        select(ParentLink).where(
            ParentLink.guardian_id == guardian_id, ParentLink.revoked_at.is_(None)
        )
    ).all()


def _guardian(session, dossier, guardian_id) -> Guardian:
    guardian = session.get(Guardian, guardian_id)
    if guardian is None or guardian.dossier_id != dossier.id:
        raise NotFound("Ce responsable légal n'existe pas dans ce dossier.")
    return guardian
