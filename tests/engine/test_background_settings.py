"""Bad settings and arguments of the background work: one French line naming the setting."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

from engine.bootstrap import check_background_settings
from engine.config import Settings
from engine.errors import ConfigError
from ipt.cli import main


@pytest.mark.parametrize(
    "over, setting",
    [
        ({"smtp_url": "ftp://x"}, "IPT_SMTP_URL"),
        ({"smtp_url": "smtp://"}, "IPT_SMTP_URL"),
        ({"mail_max_attempts": 0}, "IPT_MAIL_MAX_ATTEMPTS"),
        ({"campaign_chunk_size": 0}, "IPT_CAMPAIGN_CHUNK_SIZE"),
        ({"job_claim_timeout": 0}, "IPT_JOB_CLAIM_TIMEOUT"),
    ],
)
def test_wrong_worker_settings_are_refused_naming_them(over, setting):
    settings = dataclasses.replace(Settings.from_env({}), **over)
    with pytest.raises(ConfigError, match=setting):
        check_background_settings(settings)


def test_good_worker_settings_pass():
    check_background_settings(
        dataclasses.replace(Settings.from_env({}), smtp_url="smtp+starttls://mail:587")
    )


def test_an_unknown_broker_is_refused(tmp_path):
    from workers.app import make_celery

    settings = Settings.from_env({"IPT_BROKER_URL": "foo://x", "IPT_INSTANCE_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="IPT_BROKER_URL"):
        make_celery(settings)


def test_campaign_start_with_an_empty_year_is_refused_and_opens_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("IPT_INSTANCE_DIR", str(tmp_path))
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(main, ["campaign", "start", ""])
    assert result.exit_code == 1
    assert "Année «  » invalide" in result.output
    status = runner.invoke(main, ["campaign", "status"])
    assert "n'est pas ouverte" in status.output


def test_cli_on_a_database_never_migrated_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("IPT_INSTANCE_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["campaign", "status"])
    assert result.exit_code == 1
    assert "ipt db upgrade" in result.output and "Traceback" not in result.output
