"""Benchmark: the cost of completing a user task, engine alone vs. through the JSON API.

Creates N dossiers (each opens three user tasks), then completes the class council's avis
(`avis_cc_es`) of every dossier, alternately (a) through the engine alone —
`engine.tasks.service.complete_task` + commit, in a fresh session — and (b) through the HTTP
layer — `POST /api/v1/tasks/<id>/complete` with a bearer token, through Flask's test client (so
(b) − (a) is the cost of the WSGI stack, token lookup, JSON and serialisation, not of a socket).
Alternating keeps both samples exposed to the same database size.

Prints p50 / p99 / mean in milliseconds for each, and the ratios (b)/(a).

Usage (from the repository root):

    python bench/completion.py                       # SQLite, N = 2000
    python bench/completion.py --n 300               # smaller
    python bench/completion.py --n 300 --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python bench/completion.py --n 300 --pg URL --no-sqlite
    python bench/completion.py --n 3000 --live       # (c): also through gunicorn over a socket

With --pg, a temporary database is created on that server and dropped at the end (the URL's
own database is only used to issue CREATE/DROP DATABASE).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout, installed or not
# ruff: noqa: E402  (the imports below need the line above)

import engine.models  # noqa: F401  (registers the tables on Base.metadata)
from engine.context import Actor
from engine.db import Base, make_engine
from engine.directory import import_directory, load_directory_file
from engine.dossiers import service as dossiers
from engine.models import HumanTask, Organisation, User
from engine.tasks import service as tasks
from web import create_app

TODAY = "2026-01-12"
EMAIL, PASSWORD = "direction.es@demo.ipt", "demo-ipt-2026"
AVIS = {"date_reunion": "2026-01-09", "avis": "favorable", "justification": "Bench."}


def proposition(i: int, es_id: int, cpms_id: int) -> dict:
    return {
        "pupil_last_name": f"Bench{i:05d}",
        "pupil_first_name": "Élève",
        "pupil_birth_date": "2015-03-01",
        "es_enrolment_date": "2023-09-01",
        "es_attendance_since": "2023-09-01",
        "initiator": "conseil_de_classe",
        "es_school_id": es_id,
        "cpms_es_id": cpms_id,
        "guardians": [{"last_name": f"Bench{i:05d}", "first_name": "Parent", "capacity": "mère"}],
    }


def setup(url: str, instance_dir: Path, n: int):
    """An app on a fresh database with the demo directory and N dossiers; their avis_cc_es ids."""
    eng = make_engine(url)
    Base.metadata.create_all(eng)
    eng.dispose()
    app = create_app(
        {
            "IPT_DATABASE_URL": url,
            "IPT_INSTANCE_DIR": str(instance_dir),
            "IPT_SECRET_KEY": "bench",
            "IPT_TODAY": TODAY,
        }
    )
    factory, runtime = app.extensions["ipt_session_factory"], app.extensions["ipt_runtime"]
    with factory() as s:
        import_directory(s, load_directory_file(ROOT / "demo" / "directory.yaml"))
        s.commit()
        user = s.scalar(select(User).where(User.email == EMAIL))
        actor = Actor.for_user(user)
        es = s.scalar(select(Organisation).where(Organisation.fase == "1001"))
        cpms = s.scalar(select(Organisation).where(Organisation.fase == "4001"))
        started = time.perf_counter()
        for i in range(n):
            dossiers.open_proposition(s, runtime, actor, proposition(i, es.id, cpms.id))
            s.commit()
        created = time.perf_counter() - started
        task_ids = list(
            s.scalars(
                select(HumanTask.id)
                .where(HumanTask.bpmn_id == "avis_cc_es", HumanTask.state == "open")
                .order_by(HumanTask.dossier_id)
            )
        )
    return app, actor, task_ids, created


class LiveServer:
    """gunicorn (one sync worker) serving the same database: (c) goes through a real socket."""

    def __init__(self, env):
        import socket
        import subprocess

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "web:create_app()",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def connection(self):
        import http.client

        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _post_json(conn, path, body, headers):
    conn.request(
        "POST", path, body=json.dumps(body), headers={**headers, "Content-Type": "application/json"}
    )
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def measure(app, actor, task_ids, server=None):
    factory, runtime = app.extensions["ipt_session_factory"], app.extensions["ipt_runtime"]
    client = app.test_client()
    response = client.post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {response.get_json()['token']}"}
    engine_ms, http_ms, live_ms = [], [], []
    if server is not None:
        conn = server.connection()
        status, data = _post_json(
            conn, "/api/v1/auth/token", {"email": EMAIL, "password": PASSWORD}, {}
        )
        live_headers = {"Authorization": f"Bearer {json.loads(data)['token']}"}
    ways = 3 if server is not None else 2
    for i, task_id in enumerate(task_ids):
        if i % ways == 2:
            t0 = time.perf_counter()
            status, data = _post_json(conn, f"/api/v1/tasks/{task_id}/complete", AVIS, live_headers)
            live_ms.append((time.perf_counter() - t0) * 1000)
            assert status == 200, data[:500]
        elif i % ways == 0:
            t0 = time.perf_counter()
            with factory() as s:
                tasks.complete_task(s, runtime, actor, task_id, dict(AVIS))
                s.commit()
            engine_ms.append((time.perf_counter() - t0) * 1000)
        else:
            t0 = time.perf_counter()
            r = client.post(f"/api/v1/tasks/{task_id}/complete", json=AVIS, headers=headers)
            http_ms.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.get_json()
    return engine_ms, http_ms, live_ms


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(name, n, created, engine_ms, http_ms, live_ms):
    print(
        f"\n== {name}: {n} dossiers created in {created:.1f} s ({created / n * 1000:.1f} ms each)"
    )
    print(f"{'':28}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    rows = [("(a) engine + commit", engine_ms), ("(b) HTTP (Flask client)", http_ms)]
    if live_ms:
        rows.append(("(c) HTTP (gunicorn, socket)", live_ms))
    for label, values in rows:
        print(
            f"{label:28}{len(values):>6}{pct(values, 50):>10.2f}{pct(values, 99):>10.2f}"
            f"{statistics.fmean(values):>10.2f}"
        )
    print(
        f"{'ratio (b)/(a)':28}{'':>6}{pct(http_ms, 50) / pct(engine_ms, 50):>10.2f}"
        f"{pct(http_ms, 99) / pct(engine_ms, 99):>10.2f}"
        f"{statistics.fmean(http_ms) / statistics.fmean(engine_ms):>10.2f}"
    )
    if live_ms:
        print(
            f"{'ratio (c)/(a)':28}{'':>6}{pct(live_ms, 50) / pct(engine_ms, 50):>10.2f}"
            f"{pct(live_ms, 99) / pct(engine_ms, 99):>10.2f}"
            f"{statistics.fmean(live_ms) / statistics.fmean(engine_ms):>10.2f}"
        )


def run(name, url, n, instance_dir, live=False):
    app, actor, task_ids, created = setup(url, instance_dir, n)
    server = None
    if live:
        server = LiveServer(
            {
                "IPT_DATABASE_URL": url,
                "IPT_INSTANCE_DIR": str(instance_dir),
                "IPT_SECRET_KEY": "bench",
                "IPT_TODAY": TODAY,
            }
        )
    try:
        engine_ms, http_ms, live_ms = measure(app, actor, task_ids, server)
    finally:
        if server is not None:
            server.stop()
        app.extensions["ipt_session_factory"].kw["bind"].dispose()
    report(name, n, created, engine_ms, http_ms, live_ms)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="dossiers to create (default 2000)")
    parser.add_argument("--pg", metavar="URL", help="also run on PostgreSQL (server URL)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite run")
    parser.add_argument(
        "--live", action="store_true", help="also (c): a real gunicorn server over a socket"
    )
    args = parser.parse_args(argv)
    print(
        f"IPT completion bench, N = {args.n}, today = {TODAY} ({dt.date.fromisoformat(TODAY):%A})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            run("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args.n, Path(tmp), args.live)
        if args.pg:
            name = f"ipt_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                run(
                    "PostgreSQL",
                    args.pg.rsplit("/", 1)[0] + "/" + name,
                    args.n,
                    Path(tmp),
                    args.live,
                )
            finally:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
