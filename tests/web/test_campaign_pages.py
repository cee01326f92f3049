"""The campaign pages (/campagnes), the CSV export, the administration's button, the demo clock
(/admin/horloge) and the outbox e-mails (/admin/courriels)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from engine.background import daily
from engine.clock import clock
from engine.config import ROOT
from engine.directory import import_directory, load_directory_file
from engine.models import (
    AuditEvent,
    Campaign,
    ClockSetting,
    Dossier,
    Membership,
    Organisation,
    OutboxMessage,
    Prolongation,
    SchoolYearRecord,
    User,
)
from engine.seeding import seed_in_ipt
from tests.web.conftest import Browser
from tests.web.helpers import org_id
from web import create_app

IN_YEAR = dt.date(2027, 5, 20)  # school year 2026-2027: its campaign prolongs into 2027-2028
ADMIN, POLE, EO = (
    "admin@demo.ipt",
    "coordination.pole@demo.ipt",
    "direction.eo.fondamental@demo.ipt",
)


@pytest.fixture
def seeded(app, db):
    """Six dossiers in IPT over two seeded pôles, two of them moved to the demo pôle; one whose
    next year is already recorded (the campaign cannot start it); the EO school of the even
    ones (0, 2, 4) has no contact address."""
    clock.set_today(IN_YEAR)
    ids = seed_in_ipt(db, 6, poles=2, schools_per_pole=1, tag="camp")
    demo_pole = org_id(db, "3001")
    db.execute(update(Dossier).where(Dossier.id.in_(ids[:2])).values(pole_id=demo_pole))
    db.add(SchoolYearRecord(dossier_id=ids[5], school_year=2027, in_ipt=True))
    silent = db.get(Dossier, ids[4]).eo_school_id
    db.execute(update(Organisation).where(Organisation.id == silent).values(email=None))
    db.execute(
        update(User)
        .where(User.id.in_(select(Membership.user_id).where(Membership.organisation_id == silent)))
        .values(active=False)
    )
    db.commit()
    return ids


def open_and_run(app, as_partner):
    admin = as_partner(ADMIN)
    response = admin.post_form("/campagnes", {"year": "2026"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/campagnes/2026")
    daily.drain(app.extensions["ipt_session_factory"], app.extensions["ipt_runtime"])
    return admin


def tile(page: str, label: str) -> int:
    match = re.search(r'<span class="tile-n">(\d+)</span> ' + re.escape(label), page)
    assert match, f"no tile « {label} »"
    return int(match[1])


def test_progress_page_matches_the_database(app, db, seeded, as_partner):
    admin = open_and_run(app, as_partner)
    page = admin.get("/campagnes/2026").get_data(as_text=True)
    started = db.scalar(
        select(func.count()).select_from(Prolongation).where(Prolongation.school_year == 2027)
    )
    assert started == 5
    assert tile(page, "dossiers en IPT") == 6
    assert tile(page, "prolongations lancées") == started
    assert tile(page, "en attente d'avis") == 5
    assert tile(page, "favorables") == 0 and tile(page, "sans décision en fin d'année") == 0
    assert '<progress id="progression" max="6" value="5">83 %</progress>' in page
    assert "Lots traités : <strong>1</strong> sur 1" in page
    assert '<meta http-equiv="refresh" content="15">' in page
    assert "École ordinaire" in page  # waiting for the EO school (PARTY_LABELS)
    not_started = db.get(Dossier, seeded[5])
    assert f'href="/dossiers/{not_started.id}">{not_started.reference}</a>' in page
    assert "L&#39;IPT est déjà en place pour 2027-2028." in page
    silent = db.get(Dossier, seeded[4])
    assert "Écoles ordinaires sans adresse de contact (3)" in page
    assert f'href="/dossiers/{silent.id}">{silent.reference}</a>' in page
    demo_pole = db.get(Organisation, org_id(db, "3001")).name
    row = re.search(rf"<th scope=\"row\"[^>]*>{re.escape(demo_pole)}</th>(.*?)</tr>", page, re.S)
    assert [int(n) for n in re.findall(r">(\d+)</td>", row[1])] == [2, 2, 2, 0, 0, 0, 0]
    index = admin.get("/campagnes").get_data(as_text=True)
    assert "Ouvrir la campagne maintenant" not in index  # already open
    assert "Suivre la campagne 2026-2027" in index and "ouverture automatique" not in index


def test_a_pole_sees_only_its_own_dossiers(app, db, seeded, as_partner):
    open_and_run(app, as_partner)
    pole = as_partner(POLE)
    index = pole.get("/campagnes")
    assert index.status_code == 200
    assert "Ouvrir la campagne maintenant" not in index.get_data(as_text=True)
    page = pole.get("/campagnes/2026").get_data(as_text=True)
    assert "Vous voyez les dossiers de votre pôle" in page
    assert tile(page, "dossiers en IPT") == 2 and tile(page, "prolongations lancées") == 2
    assert '<progress id="progression" max="2" value="2">100 %</progress>' in page
    assert "Pôle camp" not in page  # the other pôles are not shown
    assert "Dossiers non lancés (0)" in page  # that problem is another pôle's dossier
    assert "Campagne de prolongation</a>" in page  # in the navigation
    csv = pole.get("/campagnes/2026.csv").get_data(as_text=True)
    assert "Pôle camp" not in csv and csv.count("\n") == 3  # header, the pôle, the total
    assert pole.post_form("/campagnes", {"year": "2026"}).status_code == 403


def test_a_school_direction_is_refused(app, seeded, as_partner):
    eo = as_partner(EO)
    for url in ("/campagnes", "/campagnes/2026", "/campagnes/2026.csv"):
        response = eo.get(url)
        assert response.status_code == 403
        assert "réservé à l&#39;administration et aux pôles" in response.get_data(as_text=True)
    assert "Campagne de prolongation</a>" not in eo.get("/dossiers").get_data(as_text=True)


def test_csv_export_has_a_header_and_a_total_row(app, seeded, as_partner):
    admin = open_and_run(app, as_partner)
    response = admin.get("/campagnes/2026.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="campagne-2026-2027.csv"' in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # Excel reads the accents right
    lines = raw.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("Pôle;Dossiers en IPT;Prolongations lancées")
    assert lines[-1] == "Total;6;5;5;0;0;0;0"
    assert len(lines) == 5  # header, three pôles, total


def test_opening_twice_keeps_one_campaign(app, db, seeded, as_partner):
    admin = as_partner(ADMIN)
    index = admin.get("/campagnes").get_data(as_text=True)
    assert "Ouvrir la campagne maintenant" in index and "18/05/2027" in index
    first = admin.post_form("/campagnes", {"year": "2026"})
    page = admin.get(first.headers["Location"]).get_data(as_text=True)
    assert "Campagne 2026-2027 ouverte : 6 dossiers en IPT" in page
    # a second tab still showing the button
    again = admin.client.post("/campagnes", data={"year": "2026", "csrf_token": csrf(admin)})
    assert again.status_code == 302 and again.headers["Location"].endswith("/campagnes/2026")
    page = admin.get("/campagnes/2026").get_data(as_text=True)
    assert "La campagne 2026-2027 est déjà ouverte depuis le 20/05/2027 (Claire Lejeune)." in page
    assert db.scalar(select(func.count()).select_from(Campaign)) == 1
    assert (
        db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "campagne_ouverte")
        )
        == 1
    )


def test_a_year_that_is_not_the_current_one_is_refused(app, db, seeded, as_partner):
    admin = as_partner(ADMIN)
    for year, message in (("2027", "ne peut pas encore s&#39;ouvrir"), ("abc", "invalide")):
        response = admin.post_form("/campagnes", {"year": year})
        assert response.status_code == 302
        page = admin.get(response.headers["Location"]).get_data(as_text=True)
        assert message in page and 'class="flash flash-error"' in page
    assert db.scalar(select(func.count()).select_from(Campaign)) == 0


def test_the_posts_need_the_csrf_token(app, db, seeded, as_partner):
    admin = as_partner(ADMIN)
    assert admin.client.post("/campagnes", data={"year": "2026"}).status_code == 400
    assert db.scalar(select(func.count()).select_from(Campaign)) == 0


def csrf(browser):
    from tests.web.conftest import csrf_of

    return csrf_of(browser.get("/campagnes"))


# -- demo clock ------------------------------------------------------------------------------
@pytest.fixture
def demo_app(db_url, tmp_path):
    app = create_app(
        {
            "IPT_DATABASE_URL": db_url,
            "IPT_INSTANCE_DIR": str(tmp_path / "instance"),
            "IPT_SECRET_KEY": "test-secret",
            "IPT_TODAY": "2027-05-20",
            "IPT_CLOCK_ADJUSTABLE": "1",
            "TESTING": True,
        }
    )
    with app.extensions["ipt_session_factory"]() as session:
        import_directory(session, load_directory_file(Path(ROOT) / "demo" / "directory.yaml"))
        session.commit()
    yield app
    app.extensions["ipt_session_factory"].kw["bind"].dispose()


def demo_admin(demo_app):
    browser = Browser(demo_app.test_client())
    assert browser.login(ADMIN).status_code == 302
    return browser


def test_the_clock_page_does_not_exist_in_production(app, as_partner):
    admin = as_partner(ADMIN)
    assert admin.get("/admin/horloge").status_code == 404
    moved = admin.post_form("/dossiers", {"avancer": "jour"}, action="/admin/horloge")
    assert moved.status_code == 404
    page = admin.get("/dossiers").get_data(as_text=True)
    assert "Date de démonstration" not in page and "Horloge</a>" not in page


def test_the_clock_moves_forward_and_is_shared(demo_app):
    admin = demo_admin(demo_app)
    page = admin.get("/admin/horloge").get_data(as_text=True)
    assert "Date de démonstration : <strong>20/05/2027</strong>" in page
    assert "Horloge</a>" in page
    moved = admin.post_form("/admin/horloge", {"date": "2027-06-01"})
    assert moved.status_code == 302
    assert "Date de démonstration : <strong>01/06/2027</strong>" in admin.get(
        "/admin/horloge"
    ).get_data(as_text=True)
    admin.post_form("/admin/horloge", {"avancer": "semaine"})
    assert clock.today() == dt.date(2027, 6, 8)
    with demo_app.extensions["ipt_session_factory"]() as session:
        row = session.scalar(select(ClockSetting))
        assert (row.today, row.set_by) == (dt.date(2027, 6, 8), "Claire Lejeune")
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "horloge_reglee")
            )
            == 2
        )
    admin.post_form("/admin/horloge", {"avancer": "jour"})
    clock.set_today(
        dt.date(2027, 1, 1)
    )  # another process's clock: the request reads the stored one
    admin.get("/dossiers")
    assert clock.today() == dt.date(2027, 6, 9)


def test_the_clock_refuses_the_past_and_bad_dates(demo_app):
    admin = demo_admin(demo_app)
    back = admin.post_form("/admin/horloge", {"date": "2027-05-19"})
    assert back.status_code == 422
    assert "On ne revient pas en arrière" in back.get_data(as_text=True)
    bad = admin.post_form("/admin/horloge", {"date": "31/02/2027"})
    assert bad.status_code == 422 and "Date invalide" in bad.get_data(as_text=True)
    assert clock.today() == dt.date(2027, 5, 20)
    assert admin.client.post("/admin/horloge", data={"avancer": "jour"}).status_code == 400


def test_the_clock_is_for_the_administration(demo_app):
    pole = Browser(demo_app.test_client())
    pole.login(POLE)
    assert pole.get("/admin/horloge").status_code == 403
    assert "Horloge</a>" not in pole.get("/dossiers").get_data(as_text=True)


# -- outbox e-mails ----------------------------------------------------------------------------
def test_the_mails_page_lists_statuses_and_hides_bodies(app, db, as_partner):
    now = clock.now()
    for n, status in enumerate(("pending", "claimed", "sent", "failed", "cancelled")):
        db.add(
            OutboxMessage(
                kind="email",
                recipient=f"parent{n}@example.org",
                status=status,
                attempts=n,
                created_at=now,
                last_error="550 boîte inconnue" if status == "failed" else None,
                payload={
                    "subject": f"IPT — votre lien personnel {n}",
                    "body": f"https://ipt.test/parents/lien/SECRET-TOKEN-{n}",
                },
            )
        )
    db.add(OutboxMessage(kind="campaign_chunk", created_at=now, payload={"year": 2026}))
    db.commit()
    admin = as_partner(ADMIN)
    page = admin.get("/admin/courriels").get_data(as_text=True)
    for label in ("en attente", "en cours", "envoyé", "échec", "annulé"):
        assert f">{label}</span>" in page
    assert "IPT — votre lien personnel 3" in page and "550 boîte inconnue" in page
    assert "SECRET-TOKEN" not in page and "/parents/lien" not in page
    assert "Tous (5)" in page and "Courriels</a>" in page
    failed = admin.get("/admin/courriels?statut=failed").get_data(as_text=True)
    assert "parent3@example.org" in failed and "parent0@example.org" not in failed
    assert as_partner(POLE).get("/admin/courriels").status_code == 403


def test_the_mails_page_is_paginated(app, db, as_partner):
    now = clock.now()
    for n in range(55):
        db.add(
            OutboxMessage(
                kind="email",
                recipient=f"r{n}@example.org",
                created_at=now,
                payload={"subject": "s"},
            )
        )
    db.commit()
    admin = as_partner(ADMIN)
    first = admin.get("/admin/courriels").get_data(as_text=True)
    assert "r54@example.org" in first and "r4@example.org" not in first
    assert "Plus anciens" in first
    second = admin.get("/admin/courriels?page=2").get_data(as_text=True)
    assert "r4@example.org" in second and "r54@example.org" not in second
