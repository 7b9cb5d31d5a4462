"""Roles, organisation kinds and which kind of organisation each role belongs to. Pure data, no I/O."""

from __future__ import annotations

from enum import StrEnum

from zhizao.ui.i18n import N_


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    EXPERT = "expert"
    ENTERPRISE = "enterprise"
    INTEGRATOR = "integrator"
    PLATFORM = "platform"
    CONSUMER = "consumer"


class OrganisationKind(StrEnum):
    GOVERNMENT = "government"
    ENTERPRISE = "enterprise"
    INTEGRATOR = "integrator"
    PLATFORM = "platform"
    EXPERT_BODY = "expert_body"
    CONSUMER = "consumer"


# The organisation kinds a member with each role may belong to. A platform administrator may sit anywhere
# (usually the programme office); every other role is tied to the kind of body it acts for.
ROLE_ORGANISATION_KINDS: dict[Role, frozenset[OrganisationKind]] = {
    Role.ADMIN: frozenset(OrganisationKind),
    Role.OFFICER: frozenset({OrganisationKind.GOVERNMENT}),
    Role.EXPERT: frozenset({OrganisationKind.EXPERT_BODY}),
    Role.ENTERPRISE: frozenset({OrganisationKind.ENTERPRISE}),
    Role.INTEGRATOR: frozenset({OrganisationKind.INTEGRATOR}),
    Role.PLATFORM: frozenset({OrganisationKind.PLATFORM}),
    Role.CONSUMER: frozenset({OrganisationKind.CONSUMER}),
}

# Roles that see across tenants: everything else is confined to its own organisation's rows.
CROSS_TENANT_ROLES = frozenset({Role.ADMIN, Role.OFFICER})

# Roles whose state-changing actions are always written to the audit log (with every admin action).
AUDITED_ROLES = frozenset({Role.ADMIN, Role.OFFICER, Role.EXPERT})


def role_fits_organisation(role: Role, kind: OrganisationKind) -> bool:
    return kind in ROLE_ORGANISATION_KINDS[role]


# English message ids, translated where shown (zh-CN: 平台管理员, 经信委工作人员, …).
ROLE_LABELS: dict[str, str] = {
    Role.ADMIN: N_("Platform administrator"),
    Role.OFFICER: N_("Programme officer"),
    Role.EXPERT: N_("Expert"),
    Role.ENTERPRISE: N_("Enterprise user"),
    Role.INTEGRATOR: N_("System integrator"),
    Role.PLATFORM: N_("Platform service provider"),
    Role.CONSUMER: N_("Consumer"),
}

ORGANISATION_KIND_LABELS: dict[str, str] = {
    OrganisationKind.GOVERNMENT: N_("Government"),
    OrganisationKind.ENTERPRISE: N_("Enterprise"),
    OrganisationKind.INTEGRATOR: N_("System integrator"),
    OrganisationKind.PLATFORM: N_("Vertical industrial-internet platform"),
    OrganisationKind.EXPERT_BODY: N_("Expert body"),
    OrganisationKind.CONSUMER: N_("Consumer"),
}
