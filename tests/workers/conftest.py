"""Real Celery workers (subprocesses) on a real Redis and PostgreSQL. The group runs when
IPT_TEST_DATABASE_URL and IPT_TEST_REDIS_URL are set (`.ci/run` sets both); otherwise the run's
header says it was left out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from engine.config import Settings
from engine.db import Base, make_engine, make_session_factory

REDIS_URL = os.environ.get("IPT_TEST_REDIS_URL")
PG_URL = os.environ.get("IPT_TEST_DATABASE_URL")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def broker_url():
    """A Redis database of its own for the test, emptied before and after."""
    base = REDIS_URL.rsplit("/", 1)[0]
    url = f"{base}/11"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def pg(_pg_database):
    eng = make_engine(_pg_database)
    with eng.begin() as c:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield _pg_database, make_session_factory(eng)
    eng.dispose()


class Processes:
    """Worker and beat subprocesses started with the test's settings; killed at the end."""

    def __init__(self, env):
        self.env = env
        self.procs = []
        self.logs = []

    def start(self, *args, **extra_env):
        env = {**os.environ, **self.env, **{k: str(v) for k, v in extra_env.items()}}
        log = open(Path(self.env["IPT_INSTANCE_DIR"]) / f"{args[0]}-{len(self.procs)}.log", "w")
        self.logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "ipt", *args],
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        self.procs.append(proc)
        return proc

    def kill(self, proc, sig=signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def stop_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc, signal.SIGTERM)

    def close(self):
        self.stop_all()
        for log in self.logs:
            log.close()


@pytest.fixture
def processes(pg, broker_url, tmp_path):
    url, _factory = pg
    instance = tmp_path / "instance"
    instance.mkdir()
    procs = Processes(
        {
            "IPT_DATABASE_URL": url,
            "IPT_BROKER_URL": broker_url,
            "IPT_INSTANCE_DIR": str(instance),
            "IPT_SECRET_KEY": "test-secret",
            "IPT_PASSWORD_HASH": "fast",
            "IPT_DIGEST_HOUR": "0",
            "IPT_TICK_SECONDS": "1",
            "IPT_RELAY_SECONDS": "0.5",
        }
    )
    yield procs
    procs.close()


def settings_for(url, instance, **env) -> Settings:
    return Settings.from_env(
        {
            "IPT_DATABASE_URL": url,
            "IPT_INSTANCE_DIR": str(instance),
            "IPT_SECRET_KEY": "test-secret",
            **env,
        }
    )


def wait_for(predicate, timeout=90, every=0.2, what="condition", debug=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}" + (f": {debug()}" if debug else ""))
