"""A C2M world for tests: a vehicle maker with the demo model released, consumers, and orders placed through the
services (the API and pages are what the tests exercise; these only set the stage)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from tests.conftest import Account, World
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.c2m import orders, versions
from zhizao.c2m.models import ConsumerOrder
from zhizao.c2m.product.configurator import configurator_for
from zhizao.c2m.product.loading import load_demo_model, parse_product_model
from zhizao.c2m.product.model import ProductModel
from zhizao.c2m.regions import Region

DEMO_CODE = "ZX-S7"


def principal_of(account: Account) -> Principal:
    return Principal(account.user_id, account.username, account.username, account.role, account.organisation_id)


@cache
def cheapest(choices: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The cheapest valid configuration of the demo vehicle containing ``choices``."""
    return configurator_for(load_demo_model()).complete(list(choices)).chosen


def changed(model: ProductModel, **fields: object) -> ProductModel:
    """The model with some top-level fields replaced (``version=2``, ``code="ZX-S9"``), validated again."""
    return parse_product_model({**model.model_dump(mode="json"), **fields}, root="")


@dataclass(frozen=True)
class Maker:
    maker: Account  # an enterprise user of the maker
    enterprise_id: int
    version_id: int  # the released version 1 of the demo vehicle


def build_maker(world: World, *, code: str = DEMO_CODE, release: bool = True) -> Maker:
    """A vehicle maker with the demo model (under ``code``) as version 1, released unless told otherwise."""
    maker = world.user(Role.ENTERPRISE)
    assert maker.organisation_id is not None
    model = load_demo_model()
    if code != model.code:
        model = changed(model, code=code)
    with world.database.session() as session:
        row = versions.create_draft(session, principal_of(maker), model)
        version_id = row.id
    if release:
        with world.database.session() as session:
            versions.release(session, principal_of(maker), version_id)
    return Maker(maker, maker.organisation_id, version_id)


def place(
    world: World,
    consumer: Account,
    chosen: Sequence[str] | None = None,
    *,
    code: str = DEMO_CODE,
    version: int = 1,
    region: Region = Region.SHANGHAI,
) -> ConsumerOrder:
    """An order of ``chosen`` (the cheapest configuration by default) placed by ``consumer``."""
    request = orders.OrderRequest(code, version, list(chosen if chosen is not None else cheapest()), region)
    with world.database.session() as session:
        order = orders.place_order(session, principal_of(consumer), request)
        session.expunge(order)
    return order


@dataclass(frozen=True)
class Shop:
    """A maker with its released model, a consumer with an order, and a second consumer and maker."""

    maker: Maker
    consumer: Account
    order_id: int
    order_number: str
    other_consumer: Account


def build_shop(world: World) -> Shop:
    made = build_maker(world)
    consumer = world.user(Role.CONSUMER)
    order = place(world, consumer)
    return Shop(made, consumer, order.id, order.number, world.user(Role.CONSUMER))
