"""`ipt …` commands. Errors are printed in one French line and exit with status 1."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.config import Settings
from engine.errors import IPTError


def _fail(err: IPTError):
    click.echo(f"Erreur : {err.message}", err=True)
    sys.exit(1)


@click.group()
def main():
    """Moteur de workflow IPT (intégration permanente totale)."""


@main.group()
def db():
    """Base de données."""


@db.command("upgrade")
def db_upgrade():
    """Applique les migrations Alembic (crée la base SQLite si besoin)."""
    from engine.migrate import upgrade

    settings = Settings.from_env()
    if settings.database_url.startswith("sqlite"):
        settings.instance_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    click.echo("Base de données à jour.")


@main.group()
def directory():
    """Annuaire des organisations et des personnes."""


@directory.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def directory_import(file):
    """Importe un annuaire YAML ou JSON (idempotent ; format : docs/directory.md)."""
    from engine.bootstrap import build_runtime
    from engine.directory import import_directory, load_directory_file

    try:
        _runtime, factory = build_runtime()
        data = load_directory_file(file)
        with factory() as session:
            report = import_directory(session, data)
            session.commit()
    except IPTError as err:
        _fail(err)
    for line in report.lines():
        click.echo(line)


@main.group()
def documents():
    """Dossier de l'élève : annexes et pièces (§8)."""


@documents.command("purge")
@click.option(
    "--dry-run", is_flag=True, help="Affiche ce qui serait supprimé, sans rien supprimer."
)
def documents_purge(dry_run):
    """Supprime les fichiers conservés au-delà de IPT_DOCUMENT_RETENTION_YEARS après la fin de l'IPT."""
    from engine.bootstrap import build_runtime
    from engine.documents.retention import purge

    try:
        runtime, factory = build_runtime()
        try:
            with factory() as session:
                lines = purge(session, runtime.settings, dry_run=dry_run)
                if not dry_run:
                    session.commit()
        finally:
            factory.kw["bind"].dispose()
    except IPTError as err:
        _fail(err)
    for line in lines:
        click.echo(line)


@main.group()
def processes():
    """Diagrammes BPMN, tables DMN et formulaires."""


@processes.command("validate")
@click.argument("path", required=False, type=click.Path(file_okay=False))
def processes_validate(path):
    """Valide et construit chaque processus (message précis : fichier, élément, ligne)."""
    from engine.specs.loader import load_library

    try:
        library = load_library(Path(path) if path else Settings.from_env().processes_dir)
    except IPTError as err:
        _fail(err)
    for pid, d in library.items():
        click.echo(
            f"{pid} : valide ({len(d.user_tasks)} tâches utilisateur, version {d.content_hash[:12]})"
        )


@main.group()
def scenarios():
    """Scénarios d'analyste."""


@scenarios.command("run")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def scenarios_run(paths):
    """Exécute les scénarios sur le vrai moteur (base jetable) ; finit par « N passed, N failed »."""
    from engine.scenarios.runner import run_paths
    from engine.specs.registry import ProcessLibrary

    try:
        library = ProcessLibrary(Settings.from_env().processes_dir)
    except IPTError as err:
        _fail(err)
    _passed, failed = run_paths(paths, library, out=click.echo)
    sys.exit(1 if failed else 0)


@main.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve(host, port):
    """Sert l'interface web (serveur de développement ; en production : gunicorn)."""
    from web import create_app

    try:
        app = create_app()
    except IPTError as err:
        _fail(err)
    app.run(host=host, port=port, debug=False)


@main.command("demo")
@click.option("--port", default=5000, type=int)
@click.option("--no-serve", is_flag=True, help="Prépare la démo sans lancer le serveur.")
@click.option("--no-worker", is_flag=True, help="Sans worker ni beat (pas de rappels).")
@click.option("--bulk", default=0, type=int, help="Ajoute N dossiers en IPT (pour la campagne).")
def demo(port, no_serve, no_worker, bulk):
    """Migre la base SQLite, importe l'annuaire de démo, crée des dossiers, lance un worker avec
    son beat (courtier embarqué, sans Redis) et sert l'interface."""
    import os

    from engine.demo import prepare_demo

    os.environ.setdefault("IPT_CLOCK_ADJUSTABLE", "1")  # the demo's date can be moved
    settings = Settings.from_env()
    try:
        logins = prepare_demo(settings, bulk=bulk)
    except IPTError as err:
        _fail(err)
    click.echo("\nComptes de démonstration (mot de passe : demo-ipt-2026) :")
    for email, label in logins:
        click.echo(f"  {email:38} {label}")
    if no_serve:
        return
    os.environ.setdefault("IPT_BASE_URL", f"http://127.0.0.1:{port}")  # links in the mails
    worker = _DemoWorker() if not no_worker else None
    if worker is not None:
        worker.start()
        mail = settings.smtp_url or f"{settings.instance_dir / 'mail'} (smtp.log)"
        click.echo(f"\nWorker et beat lancés (courtier embarqué). Courriels : {mail}")
    click.echo(f"\nInterface : http://127.0.0.1:{port}  (Ctrl+C pour arrêter)\n")
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` stops the worker too
    try:
        from web import create_app

        create_app().run(host="127.0.0.1", port=port, debug=False)
    finally:
        if worker is not None:
            worker.stop()


class _DemoWorker:
    """The demo's worker and beat, in their own process group; restarted if they die."""

    def __init__(self):
        import threading

        self.proc = None
        self.stopping = threading.Event()

    def start(self):
        import threading

        self._spawn()
        threading.Thread(target=self._watch, daemon=True).start()

    def _spawn(self):
        import os
        import subprocess

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ipt", "worker", "--beat", "--pool", "solo"],
            env={**os.environ, "IPT_TICK_SECONDS": os.environ.get("IPT_TICK_SECONDS", "5")},
            start_new_session=True,
        )

    def _watch(self):
        while not self.stopping.wait(3):
            if self.proc.poll() is not None:
                click.echo(
                    f"Le worker de la démo s'est arrêté (code {self.proc.returncode}) : relance.",
                    err=True,
                )
                self._spawn()

    def stop(self):
        import os
        import signal

        self.stopping.set()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except Exception:  # noqa: BLE001 — never leave it behind
            os.killpg(self.proc.pid, signal.SIGKILL)


# -- background work -----------------------------------------------------------------------
@main.command("worker", context_settings={"ignore_unknown_options": True})
@click.option("--beat", is_flag=True, help="Lance aussi le beat dans ce processus (démo).")
@click.option("--pool", default=None, help="prefork (défaut), solo, threads.")
@click.option("--concurrency", "-c", default=None, type=int)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(beat, pool, concurrency, celery_args):
    """Lance un worker Celery (réglage IPT_BROKER_URL ; sans lui, courtier embarqué)."""
    app = _celery_app()

    argv = ["worker", "--loglevel=WARNING"]
    if beat:
        argv.append("--beat")
    if pool:
        argv.append(f"--pool={pool}")
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    app.worker_main(argv + list(celery_args))


@main.command("beat", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args):
    """Lance le beat Celery (un seul par installation) : il sonne, la base décide."""
    app = _celery_app()

    app.start(["beat", "--loglevel=WARNING", *celery_args])


def _celery_app():
    try:
        from engine.bootstrap import check_background_settings
        from workers.app import app

        check_background_settings(Settings.from_env())
    except IPTError as err:
        _fail(err)
    return app


@main.group()
def campaign():
    """Campagne annuelle de prolongation."""


def _campaign_year(year):
    from engine.background import campaigns

    try:
        return campaigns.current_year() if year is None else campaigns.parse_year(year)
    except IPTError as err:
        _fail(err)


@campaign.command("start")
@click.argument("year")
def campaign_start(year):
    """Ouvre la campagne de l'année scolaire YEAR (2026 ou 2026-2027 : prolongations vers l'année
    suivante). Si elle est déjà ouverte, affiche son avancement."""
    from engine.background import campaigns
    from engine.bootstrap import build_runtime

    year = _campaign_year(year)
    try:
        runtime, factory = build_runtime()
        with factory() as session:
            _sync_clock(runtime, session)
            try:
                opened = campaigns.open_campaign(session, runtime, year, "ligne de commande")
                session.commit()
            except campaigns.CampaignRunning as err:
                session.rollback()
                click.echo(err.message)
                _print_progress(campaigns.progress(session, year))
                return
    except IPTError as err:
        _fail(err)
    click.echo(
        f"Campagne {opened.school_year}-{opened.school_year + 1} ouverte : {opened.total} dossiers "
        f"en {opened.chunks} lots ; avis attendus pour le {opened.due_on:%d/%m/%Y}."
    )


@campaign.command("status")
@click.argument("year", required=False)
@click.option("--watch", is_flag=True, help="Rafraîchit jusqu'à la fin du lancement.")
@click.option("--csv", "as_csv", is_flag=True, help="Écrit les comptes par pôle en CSV.")
def campaign_status(year, watch, as_csv):
    """Avancement de la campagne (barre de progression, comptes par pôle)."""
    import time

    from engine.background import campaigns
    from engine.bootstrap import build_runtime

    year = _campaign_year(year)
    try:
        runtime, factory = build_runtime()
    except IPTError as err:
        _fail(err)
    while True:
        with factory() as session:
            _sync_clock(runtime, session)
            data = campaigns.progress(session, year)
        if as_csv:
            click.echo(campaigns.progress_csv(data), nl=False)
            return
        if data["campaign"] is None:
            opens, due = runtime.schedule.campaign_dates(year)
            click.echo(
                f"La campagne {data['label']} n'est pas ouverte (ouverture prévue le "
                f"{opens:%d/%m/%Y}, avis attendus pour le {due:%d/%m/%Y})."
            )
            return
        _print_progress(data)
        if not watch or data["chunks_done"] >= data["chunks_total"]:
            return
        time.sleep(2)


def _print_progress(data):
    total, expected = data["total"], data["expected"]
    width = 40
    filled = int(width * data["percent"] / 100)
    click.echo(
        f"Campagne {data['label']} [{'#' * filled}{'.' * (width - filled)}] {data['percent']:3d} % "
        f"({total.get('started', 0)}/{expected} lancées ; lots {data['chunks_done']}/{data['chunks_total']})"
    )
    click.echo(
        f"  en attente {total.get('waiting', 0)} · favorables {total.get('favorable', 0)} · "
        f"défavorables {total.get('defavorable', 0)} · tâches en retard {total.get('late', 0)} · "
        f"sans décision en fin d'année {total.get('flagged', 0)}"
    )
    if data["waiting_for"]:
        from engine.background.campaigns import PARTY_LABELS

        parts = [f"{PARTY_LABELS.get(k, k)} {v}" for k, v in sorted(data["waiting_for"].items())]
        click.echo("  tâches ouvertes : " + " · ".join(parts))
    for name, c in data["per_pole"]:
        click.echo(
            f"  {name:30} {c.get('started', 0):6d} lancées  {c.get('favorable', 0):6d} fav.  "
            f"{c.get('defavorable', 0):6d} déf.  {c.get('late', 0):6d} en retard"
        )
    if data["problems"]:
        click.echo(f"  {len(data['problems'])} dossiers non lancés :")
        for p in data["problems"][:20]:
            click.echo(f"    {p.get('reference') or p['dossier_id']} : {p['message']}")
    if data["no_contact"]:
        click.echo(
            f"  {len(data['no_contact'])} dossiers dont l'école ordinaire n'a pas d'adresse."
        )


def _sync_clock(runtime, session):
    if runtime.settings.clock_adjustable:
        from engine.background import clockstore

        clockstore.sync(session)


@main.command("simulate")
@click.option("--until", "until", required=True, help="Dernier jour simulé (AAAA-MM-JJ).")
@click.option("--quiet", is_flag=True, help="N'affiche que les jours où il se passe quelque chose.")
def simulate(until, quiet):
    """Avance l'horloge du produit jour par jour jusqu'à UNTIL, en déclenchant minuteries, rappels
    et campagne comme ils le feraient (travaux exécutés dans ce processus, sans courtier)."""
    import datetime as dt

    from engine.background import clockstore, daily
    from engine.bootstrap import build_runtime
    from engine.clock import clock

    try:
        end = dt.date.fromisoformat(until)
    except ValueError:
        _fail(IPTError(f"Date « {until} » invalide : attendu AAAA-MM-JJ."))
    try:
        runtime, factory = build_runtime()
        with factory() as session:
            clockstore.sync(session)
        if end < clock.today():
            _fail(
                IPTError(
                    f"Le {end:%d/%m/%Y} est passé : la date du produit est le {clock.today():%d/%m/%Y}."
                )
            )
        day = clock.today()
        while day <= end:
            with factory() as session:
                clockstore.store(session, day, "simulation")
                session.commit()
            report = daily.tick(factory, runtime, any_hour=True)
            done = daily.drain(factory, runtime)
            text = _describe_day(report, done)
            if not quiet or text != "rien à faire":
                click.echo(f"{day:%d/%m/%Y} : {text}")
            day += dt.timedelta(days=1)
    except IPTError as err:
        _fail(err)


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _describe_day(report, done) -> str:
    parts = []
    if "campagne_ouverte" in report:
        parts.append(f"campagne ouverte ({report['campagne_ouverte']} dossiers)")
    if report.get("campagne_ajoutes"):
        parts.append(
            _n(report["campagne_ajoutes"], "dossier ajouté", "dossiers ajoutés") + " à la campagne"
        )
    if "sans_decision" in report:
        parts.append(
            f"fin d'année : {report['sans_decision']} prolongations sans décision signalées"
        )
    rappels = report.get("rappels")
    if rappels and rappels.get("digests"):
        parts.append(
            f"{_n(rappels['digests'], 'courriel de rappel', 'courriels de rappel')} "
            f"({_n(rappels['timers'], 'tâche signalée', 'tâches signalées')})"
        )
    if done.get("done"):
        parts.append(_n(done["done"], "travail fait", "travaux faits"))
    if done.get("failed"):
        parts.append(f"{done['failed']} en échec")
    return " ; ".join(parts) or "rien à faire"
