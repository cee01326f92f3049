"""Dates of background work: school days, task due dates (processes/deadlines.yaml) and the
campaign's dates. Bad settings are refused at start-up, naming the setting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from engine import calendar
from engine.errors import ConfigError

RULE_KEYS = {"days", "campaign", "before_year_end"}


class Schedule:
    def __init__(self, settings, holidays=None, deadlines=None):
        self.settings = settings
        processes = Path(settings.processes_dir)
        self.holidays = (
            holidays
            if holidays is not None
            else calendar.load_holidays(processes / "calendar" / "holidays.yaml")
        )
        self.deadlines = (
            deadlines if deadlines is not None else load_deadlines(processes / "deadlines.yaml")
        )

    # -- school days -------------------------------------------------------------------------
    def is_school_day(self, day: dt.date) -> bool:
        return calendar.is_school_day(day, self.holidays)

    def next_school_day(self, day: dt.date) -> dt.date:
        """`day` itself if it is a school day, else the next one."""
        for _ in range(120):
            if self.is_school_day(day):
                return day
            day += dt.timedelta(days=1)
        return day

    # -- campaign ----------------------------------------------------------------------------
    def campaign_dates(self, year: int) -> tuple[dt.date, dt.date]:
        """(opens on, avis due on) for the campaign held during school year `year`."""
        last = calendar.last_day(year)
        s = self.settings
        opens = last - dt.timedelta(weeks=s.campaign_open_weeks)
        due = last - dt.timedelta(weeks=s.campaign_due_weeks)
        if s.campaign_open_date and calendar.school_year_of(s.campaign_open_date) == year:
            opens = s.campaign_open_date
        if s.campaign_due_date and calendar.school_year_of(s.campaign_due_date) == year:
            due = s.campaign_due_date
        return self.next_school_day(opens), due

    def check_settings(self, today: dt.date) -> None:
        """Refuse campaign settings that are not usable (ConfigError naming the setting)."""
        s = self.settings
        year = calendar.school_year_of(today)
        first, last = calendar.first_day(year), calendar.last_day(year)
        for name, value in (
            ("IPT_CAMPAIGN_OPEN_DATE", s.campaign_open_date),
            ("IPT_CAMPAIGN_DUE_DATE", s.campaign_due_date),
        ):
            if value is not None and not first <= value <= last:
                raise ConfigError(
                    f"Réglage {name} : le {value:%d/%m/%Y} n'est pas dans l'année scolaire "
                    f"{calendar.label(year)} (du {first:%d/%m/%Y} au {last:%d/%m/%Y})."
                )
        if not 1 <= s.campaign_open_weeks <= 30:
            raise ConfigError("Réglage IPT_CAMPAIGN_OPEN_WEEKS : entre 1 et 30 semaines.")
        if not 0 <= s.campaign_due_weeks < s.campaign_open_weeks:
            raise ConfigError(
                "Réglage IPT_CAMPAIGN_DUE_WEEKS : l'échéance des avis doit tomber après "
                "l'ouverture de la campagne (moins de semaines avant la fin d'année)."
            )
        opens, due = self.campaign_dates(year)
        if due <= opens:
            raise ConfigError(
                f"Réglages de la campagne : l'échéance des avis ({due:%d/%m/%Y}) doit suivre "
                f"son ouverture ({opens:%d/%m/%Y})."
            )
        if not 0 <= s.digest_hour <= 23:
            raise ConfigError("Réglage IPT_DIGEST_HOUR : une heure entre 0 et 23.")

    # -- due dates ---------------------------------------------------------------------------
    def due_date(self, bpmn_id: str, stage: str | None, level: str | None, opened: dt.date):
        rule = self._rule(bpmn_id, stage, level)
        year = calendar.school_year_of(opened)
        if "days" in rule:
            due = opened + dt.timedelta(days=int(rule["days"]))
        elif "campaign" in rule:
            due = self.campaign_dates(year)[1]
        else:
            due = calendar.last_day(year) - dt.timedelta(days=int(rule["before_year_end"]))
        if due < opened + dt.timedelta(days=self.deadlines["min_days"]):
            due = opened + dt.timedelta(days=int(self.deadlines["default"]["days"]))
        return self.next_school_day(due)

    def _rule(self, bpmn_id, stage, level) -> dict:
        d = self.deadlines
        rule = d["tasks"].get(bpmn_id)
        if rule is not None:
            if level in rule:
                return rule[level]
            if rule.keys() & RULE_KEYS:
                return rule
        return d["stages"].get(stage) or d["default"]


def load_deadlines(path: Path) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path} : fichier des échéances illisible ({exc}).") from exc
    data.setdefault("default", {"days": 15})
    data.setdefault("min_days", 3)
    data.setdefault("stages", {})
    data.setdefault("tasks", {})

    def check(where, rule):
        if not isinstance(rule, dict) or len(rule.keys() & RULE_KEYS) != 1:
            raise ConfigError(
                f"{path} : {where} : attendu une règle parmi days, campaign, before_year_end."
            )
        for key in ("days", "before_year_end"):
            if key in rule and (not isinstance(rule[key], int) or not 0 <= rule[key] <= 365):
                raise ConfigError(f"{path} : {where} : {key} doit être un nombre de jours (0–365).")
        if "campaign" in rule and rule["campaign"] != "avis":
            raise ConfigError(f"{path} : {where} : « campaign » n'accepte que « avis ».")

    check("default", data["default"])
    if "days" not in data["default"]:
        raise ConfigError(f"{path} : default : attendu « days: N ».")
    for stage, rule in data["stages"].items():
        check(f"stages.{stage}", rule)
    for bpmn_id, rule in data["tasks"].items():
        if isinstance(rule, dict) and not rule.keys() & RULE_KEYS:
            for level, sub in rule.items():
                if level not in ("fondamental", "secondaire"):
                    raise ConfigError(
                        f"{path} : tasks.{bpmn_id} : niveau « {level} » inconnu "
                        "(fondamental ou secondaire)."
                    )
                check(f"tasks.{bpmn_id}.{level}", sub)
        else:
            check(f"tasks.{bpmn_id}", rule)
    return data
