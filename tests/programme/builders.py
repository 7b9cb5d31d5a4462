"""Test builders other programme areas share: an enterprise with its programme record, and the current edition."""

from __future__ import annotations

import itertools

from tests.conftest import Account, World
from zhizao.accounts import credit_code
from zhizao.accounts.roles import Role
from zhizao.programme import service_editions
from zhizao.programme.kinds import District, EnterpriseSize, Industry
from zhizao.programme.schemas_enterprises import EnterpriseCreate
from zhizao.programme.service_enterprises import register_enterprise

_serial = itertools.count(1)


def valid_credit_code(serial: int) -> str:
    """A credit code that passes the GB 32100-2015 check, distinct for each serial number."""
    return credit_code.complete(f"91310000MA1{serial:06d}")


def programme_enterprise(
    world: World,
    industry: Industry = Industry.AUTOMOTIVE,
    district: District = District.PUDONG,
    *,
    name: str | None = None,
    size: EnterpriseSize = EnterpriseSize.MEDIUM,
    park_id: int | None = None,
) -> tuple[int, Account]:
    """A registered enterprise (organisation and programme record, through the service) and a user of role
    enterprise acting for it."""
    serial = next(_serial)
    data = EnterpriseCreate(
        name=name or f"programme-enterprise-{serial}",
        credit_code=valid_credit_code(serial),
        industry=industry,
        district=district,
        size=size,
        park_id=park_id,
    )
    with world.database.session() as session:
        enterprise_id = register_enterprise(session, None, data).enterprise_id
    return enterprise_id, world.user(Role.ENTERPRISE, enterprise_id)


def current_edition(world: World) -> int:
    """The id of the current edition: the bundled 2020–2022 one, added if missing, unless a test made another
    current."""
    with world.database.session() as session:
        service_editions.ensure_default_edition(session)
        return service_editions.current_edition(session).id
