"""The authenticated caller as services see it: who, which role, acting for which organisation."""

from __future__ import annotations

from dataclasses import dataclass

from zhizao.accounts.roles import CROSS_TENANT_ROLES, Role


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int | None
    organisation_name: str | None = None
    remote_addr: str | None = None

    @property
    def sees_all_tenants(self) -> bool:
        return self.role in CROSS_TENANT_ROLES

    def may_access_tenant(self, organisation_id: int | None) -> bool:
        """True when rows of that organisation are within this caller's scope."""
        if self.sees_all_tenants:
            return True
        return organisation_id is not None and organisation_id == self.organisation_id
