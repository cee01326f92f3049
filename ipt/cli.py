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
def demo(port, no_serve):
    """Migre la base SQLite, importe l'annuaire de démo, crée des dossiers et sert l'interface."""
    from engine.demo import prepare_demo

    try:
        logins = prepare_demo(Settings.from_env())
    except IPTError as err:
        _fail(err)
    click.echo("\nComptes de démonstration (mot de passe : demo-ipt-2026) :")
    for email, label in logins:
        click.echo(f"  {email:38} {label}")
    if not no_serve:
        click.echo(f"\nInterface : http://127.0.0.1:{port}  (Ctrl+C pour arrêter)\n")
        from web import create_app

        create_app().run(host="127.0.0.1", port=port, debug=False)
