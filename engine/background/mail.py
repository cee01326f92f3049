"""Sending one e-mail: SMTP when IPT_SMTP_URL is set, else the embedded default writes each mail
to instance/mail/ (one .eml file per mail and a line in smtp.log) so a demo shows what was sent."""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from engine.errors import ConfigError


class RecipientRefused(Exception):
    """The server refused the recipient: retrying will not help."""


class TransientMailError(Exception):
    """Server down, timeout, 4xx: try again later."""


def build(settings, message_id: int, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    # Stable per outbox row: a re-offered row carries the same id, so a duplicate is recognisable.
    msg["Message-ID"] = f"<outbox-{message_id}@ipt.fwb>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    return msg


def send(settings, msg: EmailMessage) -> None:
    if not settings.smtp_url:
        _write_file(settings, msg)
        return
    parts = urlsplit(settings.smtp_url)
    if parts.scheme not in ("smtp", "smtps", "smtp+starttls"):
        raise ConfigError(
            f"Réglage IPT_SMTP_URL : schéma « {parts.scheme} » inconnu (smtp, smtps ou smtp+starttls)."
        )
    host, port = (
        parts.hostname or "localhost",
        parts.port or (465 if parts.scheme == "smtps" else 25),
    )
    try:
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(host, port, timeout=20, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=20)
        with client:
            if parts.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(msg)
    except smtplib.SMTPRecipientsRefused as err:
        raise RecipientRefused(_describe(err.recipients)) from err
    except smtplib.SMTPResponseException as err:
        if 500 <= err.smtp_code < 600:
            raise RecipientRefused(f"{err.smtp_code} {_text(err.smtp_error)}") from err
        raise TransientMailError(f"{err.smtp_code} {_text(err.smtp_error)}") from err
    except (OSError, smtplib.SMTPException) as err:
        raise TransientMailError(str(err) or type(err).__name__) from err


def _write_file(settings, msg: EmailMessage) -> None:
    folder = Path(settings.instance_dir) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    ident = msg["Message-ID"].strip("<>").split("@")[0]
    (folder / f"{stamp}-{ident}.eml").write_bytes(bytes(msg))
    with open(folder / "smtp.log", "a", encoding="utf-8") as log:
        log.write(f"{stamp} {msg['Message-ID']} → {msg['To']} : {msg['Subject']}\n")


def _describe(recipients: dict) -> str:
    return "; ".join(f"{addr} : {code} {_text(text)}" for addr, (code, text) in recipients.items())


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


__all__ = ["RecipientRefused", "TransientMailError", "build", "send", "make_msgid"]
