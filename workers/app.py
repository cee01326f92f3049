"""The Celery application, configured from the product's settings.

Production: IPT_BROKER_URL=redis://… (and optionally IPT_RESULT_BACKEND), separate `worker` and
`beat` processes. Embedded default (no IPT_BROKER_URL): kombu's filesystem transport under
instance/broker, so the demo needs no Redis.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from celery import Celery

from engine.config import Settings
from engine.errors import ConfigError

BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "sentinel", "iptfs", "filesystem", "memory")


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ConfigError(f"Réglage {name} : « {raw} » n'est pas un nombre de secondes.") from None
    if not 0.1 <= value <= 3600:
        raise ConfigError(f"Réglage {name} : entre 0,1 et 3600 secondes.")
    return value


RELAY_SECONDS = _seconds("IPT_RELAY_SECONDS", 2)
TICK_SECONDS = _seconds("IPT_TICK_SECONDS", 30)


def broker_options(settings: Settings) -> tuple[str, dict]:
    if settings.broker_url:
        scheme = settings.broker_url.split("://", 1)[0]
        if "://" not in settings.broker_url or scheme not in BROKER_SCHEMES:
            raise ConfigError(
                f"Réglage IPT_BROKER_URL : « {scheme} » n'est pas un courtier connu "
                "(redis://hôte:6379/0 en production ; sans réglage, le courtier embarqué)."
            )
        return settings.broker_url, {}
    folder = Path(settings.instance_dir) / "broker"
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    import workers.fs_transport  # noqa: F401  (registers iptfs://: atomic filesystem writes)

    return "iptfs://localhost/", {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or Settings.from_env()
    broker, transport = broker_options(settings)
    app = Celery("ipt", include=["workers.tasks"])
    app.conf.update(
        broker_url=broker,
        broker_transport_options=transport,
        result_backend=settings.result_backend,
        task_ignore_result=not settings.result_backend,
        task_acks_late=True,  # a killed worker's message is not lost…
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue="ipt",
        timezone="Europe/Brussels",
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        worker_hijack_root_logger=False,
        beat_schedule_filename=str(Path(settings.instance_dir) / "celerybeat-schedule"),
        beat_schedule={
            # …and the database says what is due: these only ring the bell.
            "relay": {
                "task": "ipt.relay",
                "schedule": RELAY_SECONDS,
                "options": {"expires": max(RELAY_SECONDS * 5, 10)},
            },
            "tick": {
                "task": "ipt.tick",
                "schedule": TICK_SECONDS,
                "options": {"expires": max(TICK_SECONDS * 2, 10)},
            },
        },
    )
    return app


app = make_celery()
for name in ("spiff", "SpiffWorkflow"):  # ~15 INFO records per instance otherwise
    logging.getLogger(name).setLevel(logging.WARNING)
