"""A partner drives the real UI in Chromium: log in, open a task, submit it with an error, fix it,
submit, and see the dossier move on."""

from __future__ import annotations

import os
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from engine.db import Base, make_engine, make_session_factory
from tests.engine.driver import Driver
from web import create_app

BROWSER = os.environ.get("IPT_BROWSER") or "/usr/bin/chromium"


@pytest.fixture
def live_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    eng = make_engine(url)
    Base.metadata.create_all(eng)
    env = {
        "IPT_DATABASE_URL": url,
        "IPT_INSTANCE_DIR": str(tmp_path),
        "IPT_SECRET_KEY": "browser",
        "IPT_TODAY": "2026-01-12",
    }
    app = create_app(env)
    with make_session_factory(eng)() as s:
        drv = Driver(s, app.extensions["ipt_runtime"].settings)
        d = drv.proposition()
        drv.do(
            d, "avis_cpms_es", "cpms.es@demo.ipt", {"date_avis": "2026-01-13", "avis": "favorable"}
        )
        drv.do(d, "avis_parents", drv.parent(d), {"date_avis": "2026-01-14", "avis": "favorable"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    eng.dispose()


def test_partner_completes_a_task_after_fixing_an_error(live_server, tmp_path):
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=BROWSER,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(locale="fr-BE")
        page.goto(f"{live_server}/connexion")
        page.fill("input[name=email]", "direction.es@demo.ipt")
        page.fill("input[name=password]", "demo-ipt-2026")
        page.click("button:has-text('Se connecter')")
        page.goto(f"{live_server}/taches")
        page.click("a:has-text('Avis du conseil de classe')")
        # first submission: défavorable without its justification (checked by the server)
        page.fill("input[name=date_reunion]", "2026-01-15")
        page.check("input[name=avis][value=defavorable]")
        page.click("button:has-text('Enregistrer')")
        expect(page.locator(".error-summary")).to_contain_text("rien n'a été enregistré")
        expect(page.locator(".field-error").first).to_contain_text(
            "Une justification est obligatoire"
        )
        page.screenshot(path=str(tmp_path / "task-error.png"), full_page=True)
        # fixed (the council's avis is favorable): the dossier moves to the partner search
        expect(page.locator("input[name=date_reunion]")).to_have_value("2026-01-15")
        page.check("input[name=avis][value=favorable]")
        page.click("button:has-text('Enregistrer')")
        expect(page.locator("body")).to_contain_text("Recherche d'une école partenaire")
        expect(page.locator("body")).to_contain_text("Lambert")
        page.screenshot(path=str(tmp_path / "dossier.png"), full_page=True)
        browser.close()
