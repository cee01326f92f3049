"""Every setting of the product, read once from the environment (documented in the README)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def _int(env, name, default):
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"Réglage {name} : « {raw} » n'est pas un nombre entier.") from None


def _date(env, name):
    raw = env.get(name)
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"Réglage {name} : « {raw} » n'est pas une date AAAA-MM-JJ.") from None


def _days(env, name, default):
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        days = tuple(sorted({int(part) for part in raw.split(",")}, reverse=True))
    except ValueError:
        raise ConfigError(
            f"Réglage {name} : « {raw} » doit être une liste de nombres de jours, par exemple « 7,2 »."
        ) from None
    if any(d < 1 or d > 60 for d in days):
        raise ConfigError(f"Réglage {name} : chaque rappel doit être entre 1 et 60 jours avant.")
    return days


def _choice(env, name, allowed):
    raw = env.get(name) or allowed[0]
    if raw not in allowed:
        raise ConfigError(f"Réglage {name} : « {raw} » (valeurs : {', '.join(allowed)}).")
    return raw


@dataclass(frozen=True)
class Settings:
    database_url: str
    instance_dir: Path
    processes_dir: Path
    today: dt.date | None = None
    secret_key: str | None = None
    base_url: str = "http://127.0.0.1:5000"
    parent_link_days: int = 30
    api_token_hours: int = 12
    session_hours: int = 8
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    max_text_length: int = 5000
    # background work (workers/): broker, mail, reminders, campaign
    broker_url: str | None = None  # None: the embedded filesystem broker under instance/broker
    result_backend: str | None = None
    smtp_url: str | None = None  # None: mails are written to instance/mail (the SMTP log)
    mail_from: str = "IPT <ne-pas-repondre@ipt.example>"
    mail_max_attempts: int = 8
    reminder_days: tuple[int, ...] = (7, 2)
    digest_hour: int = 7
    campaign_open_weeks: int = 8
    campaign_due_weeks: int = 2
    campaign_open_date: dt.date | None = None
    campaign_due_date: dt.date | None = None
    campaign_chunk_size: int = 200
    job_claim_timeout: int = 300  # seconds before a claimed job is offered again
    clock_adjustable: bool = False  # demo: the product date is shared through the database
    storage_dir: Path | None = None  # IPT_STORAGE_DIR: documents, outside the web root
    max_upload_mb: int = 10
    retention_years: int = 10  # how long the pupil file's documents are kept after the IPT ends
    documents_render: str = "now"  # now | deferred (rendered on first use, or by a worker)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env=None) -> Settings:
        env = os.environ if env is None else env
        instance = Path(env.get("IPT_INSTANCE_DIR") or ROOT / "instance")
        url = env.get("IPT_DATABASE_URL") or f"sqlite:///{instance / 'ipt.sqlite3'}"
        return cls(
            database_url=url,
            instance_dir=instance,
            processes_dir=Path(env.get("IPT_PROCESSES_DIR") or ROOT / "processes"),
            today=_date(env, "IPT_TODAY"),
            secret_key=env.get("IPT_SECRET_KEY") or None,
            base_url=(env.get("IPT_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
            parent_link_days=_int(env, "IPT_PARENT_LINK_DAYS", 30),
            api_token_hours=_int(env, "IPT_API_TOKEN_HOURS", 12),
            session_hours=_int(env, "IPT_SESSION_HOURS", 8),
            login_max_failures=_int(env, "IPT_LOGIN_MAX_FAILURES", 5),
            login_lock_minutes=_int(env, "IPT_LOGIN_LOCK_MINUTES", 15),
            max_text_length=_int(env, "IPT_MAX_TEXT_LENGTH", 5000),
            broker_url=env.get("IPT_BROKER_URL") or None,
            result_backend=env.get("IPT_RESULT_BACKEND") or None,
            smtp_url=env.get("IPT_SMTP_URL") or None,
            mail_from=env.get("IPT_MAIL_FROM") or "IPT <ne-pas-repondre@ipt.example>",
            mail_max_attempts=_int(env, "IPT_MAIL_MAX_ATTEMPTS", 8),
            reminder_days=_days(env, "IPT_REMINDER_DAYS", (7, 2)),
            digest_hour=_int(env, "IPT_DIGEST_HOUR", 7),
            campaign_open_weeks=_int(env, "IPT_CAMPAIGN_OPEN_WEEKS", 8),
            campaign_due_weeks=_int(env, "IPT_CAMPAIGN_DUE_WEEKS", 2),
            campaign_open_date=_date(env, "IPT_CAMPAIGN_OPEN_DATE"),
            campaign_due_date=_date(env, "IPT_CAMPAIGN_DUE_DATE"),
            campaign_chunk_size=_int(env, "IPT_CAMPAIGN_CHUNK_SIZE", 200),
            job_claim_timeout=_int(env, "IPT_JOB_CLAIM_TIMEOUT", 300),
            clock_adjustable=(env.get("IPT_CLOCK_ADJUSTABLE") or "").lower()
            in ("1", "true", "oui"),
            storage_dir=Path(env.get("IPT_STORAGE_DIR") or instance / "documents"),
            max_upload_mb=_int(env, "IPT_MAX_UPLOAD_MB", 10),
            retention_years=_int(env, "IPT_DOCUMENT_RETENTION_YEARS", 10),
            documents_render=_choice(env, "IPT_DOCUMENTS_RENDER", ("now", "deferred")),
        )

    def resolved_secret_key(self) -> str:
        """The configured key, else one generated once and kept in the instance folder."""
        if self.secret_key:
            return self.secret_key
        path = self.instance_dir / "secret_key"
        if not path.exists():
            import secrets

            self.instance_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()
