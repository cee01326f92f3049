"""What engine functions need from the outside: settings, the process library, who acts."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from engine.config import Settings
from engine.specs.registry import ProcessLibrary

ROLE_LABELS = {
    "direction": "Direction",
    "delegue": "Délégué(e) de la direction",
    "titulaire": "Titulaire / enseignant(e)",
    "coordonnateur": "Coordonnateur(trice) du pôle",
    "agent_cpms": "Agent du CPMS",
}


@dataclass
class Runtime:
    settings: Settings
    library: ProcessLibrary

    @cached_property
    def schedule(self):
        """School days, due dates and campaign dates (engine.background.schedule)."""
        from engine.background.schedule import Schedule

        return Schedule(self.settings)


@dataclass(frozen=True)
class Actor:
    """A person acting: a staff user (memberships) or a parent through a personal link."""

    label: str
    user_id: int | None = None
    memberships: frozenset[tuple[int, str]] = field(default_factory=frozenset)
    is_admin: bool = False
    is_analyst: bool = False
    guardian_id: int | None = None
    dossier_scope: int | None = None  # parents: the one dossier the link opens

    @classmethod
    def for_user(cls, user) -> Actor:
        return cls(
            label=user.full_name,
            user_id=user.id,
            memberships=frozenset((m.organisation_id, m.role) for m in user.memberships),
            is_admin=user.is_admin,
            is_analyst=user.is_analyst,
        )

    @classmethod
    def for_guardian(cls, guardian) -> Actor:
        return cls(
            label=f"{guardian.first_name} {guardian.last_name} ({guardian.capacity})",
            guardian_id=guardian.id,
            dossier_scope=guardian.dossier_id,
        )

    @property
    def is_parent(self) -> bool:
        return self.guardian_id is not None

    @property
    def org_ids(self) -> set[int]:
        return {org for org, _ in self.memberships}

    def roles_in(self, org_id: int | None) -> set[str]:
        return {role for org, role in self.memberships if org == org_id}

    def capacity_in(self, org_id: int | None) -> str:
        roles = self.roles_in(org_id)
        for role in ("direction", "delegue", "coordonnateur", "titulaire", "agent_cpms"):
            if role in roles:
                return ROLE_LABELS[role]
        return "—"
