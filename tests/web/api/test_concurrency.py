"""PostgreSQL only (collected only when IPT_TEST_DATABASE_URL is set, see conftest.py): two
people completing the same task at the same moment — exactly one wins, the other gets 409."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent, Decision, HumanTask, ProcessInstance
from tests.web.api.conftest import AVIS_CC, get_token, task_of

ROUNDS = 5


def _race(app, tokens, url, data):
    barrier = threading.Barrier(len(tokens))
    results = [None] * len(tokens)

    def run(i, token):
        client = app.test_client()
        barrier.wait()
        response = client.post(url, json=data, headers={"Authorization": f"Bearer {token}"})
        results[i] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("same_user", [False, True], ids=["two_users", "same_user_twice"])
def test_concurrent_completion_one_wins(app, client, db, open_dossier, same_user):
    emails = (
        ["direction.es@demo.ipt"] * 2
        if same_user
        else ["direction.es@demo.ipt", "delegue.es@demo.ipt"]
    )
    tokens = [get_token(client, e) for e in emails]
    for _ in range(ROUNDS):
        dossier = open_dossier()
        task_id = task_of(dossier, "avis_cc_es")
        db.expire_all()
        completed_before = db.scalar(
            select(func.count()).select_from(HumanTask).where(HumanTask.state == "completed")
        )
        revision_before = db.scalar(
            select(ProcessInstance.revision).where(ProcessInstance.dossier_id == dossier["id"])
        )

        results = _race(app, tokens, f"/api/v1/tasks/{task_id}/complete", AVIS_CC)

        assert sorted(code for code, _ in results) == [200, 409], results
        loser = next(body for code, body in results if code == 409)
        assert loser["error"] in ("deja_complete", "conflit")
        db.expire_all()
        assert (
            db.scalar(select(func.count()).select_from(Decision).where(Decision.task_id == task_id))
            == 1
        )
        assert db.get(HumanTask, task_id).state == "completed"
        assert (
            db.scalar(
                select(func.count()).select_from(HumanTask).where(HumanTask.state == "completed")
            )
            == completed_before + 1
        )
        assert (
            db.scalar(
                select(ProcessInstance.revision).where(ProcessInstance.dossier_id == dossier["id"])
            )
            == revision_before + 1
        )
        completions = db.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "tache_completee", AuditEvent.dossier_id == dossier["id"]
            )
        ).all()
        assert len(completions) == 1
        open_now = {
            t.bpmn_id
            for t in db.scalars(
                select(HumanTask).where(
                    HumanTask.dossier_id == dossier["id"], HumanTask.state == "open"
                )
            )
        }
        assert open_now == {"avis_cpms_es", "avis_parents"}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_concurrent_prolongation_starts_one_created(app, client, db, ipt):
    """R-PROL-1: two pôle members start the same prolongation at once: one 201, one 409."""
    import datetime as dt

    from engine.clock import clock
    from engine.models import Prolongation

    clock.set_today(dt.date(2027, 5, 10))
    tokens = [
        get_token(client, e) for e in ("coordination.pole@demo.ipt", "direction.pole@demo.ipt")
    ]
    results = _race(
        app, tokens, f"/api/v1/dossiers/{ipt.id}/prolongations", {"school_year": "2027-2028"}
    )
    assert sorted(code for code, _ in results) == [201, 409], results
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Prolongation)) == 1
    assert (
        db.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .where(ProcessInstance.process_id == "prolongation_ipt")
        )
        == 1
    )
