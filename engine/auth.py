"""Secrets hashed for their purpose: passwords slow (argon2), tokens fast (SHA-256)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from engine.clock import as_utc, clock
from engine.errors import AuthError, Throttled
from engine.models import ApiToken, LoginThrottle, User

# IPT_PASSWORD_HASH=fast: cheap argon2 parameters, for test suites only (never in production).
_FAST = os.environ.get("IPT_PASSWORD_HASH") == "fast"
_hasher = (
    PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1) if _FAST else PasswordHasher()
)
# Verifying against this keeps the time of an unknown e-mail equal to that of a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> tuple[str, str]:
    """A long random token and its SHA-256 hex digest (only the digest is stored)."""
    raw = secrets.token_urlsafe(32)
    return raw, token_digest(raw)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def authenticate(session, email: str, password: str, settings) -> User:
    """Check e-mail + password, with throttling per address. Raises AuthError (French)."""
    key = (email or "").strip().lower()
    now = clock.now()
    throttle = session.get(LoginThrottle, key)
    if throttle and throttle.locked_until and as_utc(throttle.locked_until) > now:
        seconds = int((as_utc(throttle.locked_until) - now).total_seconds()) + 1
        minutes = (seconds + 59) // 60
        unit = "minute" if minutes == 1 else "minutes"
        raise Throttled(
            f"Trop de tentatives échouées pour cette adresse. Réessayez dans {minutes} {unit}.",
            retry_after=seconds,
        )
    user = session.scalar(select(User).where(User.email == key))
    ok = verify_password(user.password_hash if user else None, password or "")
    if ok and user.active:
        if throttle:
            session.delete(throttle)
        return user
    if throttle is None:
        throttle = LoginThrottle(key=key, failures=0, first_failure_at=now)
        session.add(throttle)
    throttle.failures += 1
    if throttle.failures >= settings.login_max_failures:
        throttle.locked_until = now + dt.timedelta(minutes=settings.login_lock_minutes)
        throttle.failures = 0
    session.flush()
    raise AuthError("Adresse e-mail ou mot de passe incorrect.")


def issue_api_token(session, user: User, settings) -> tuple[str, ApiToken]:
    raw, digest = new_token()
    now = clock.now()
    row = ApiToken(
        user_id=user.id,
        token_hash=digest,
        created_at=now,
        expires_at=now + dt.timedelta(hours=settings.api_token_hours),
    )
    session.add(row)
    session.flush()
    return raw, row


def user_for_api_token(session, raw: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(raw)))
    if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= clock.now():
        return None
    user = session.get(User, row.user_id)
    return user if user and user.active else None
