"""Product model versions: drafts from uploads (errors name the field), the lifecycle, release blocked by the
checks against the released version (nothing changes then), warnings stored, retirement, tenant scope, audit."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from tests.c2m.builders import build_maker, changed, principal_of
from tests.conftest import World
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.c2m import versions
from zhizao.c2m.definitions import parse_upload
from zhizao.c2m.models import ModelStatus, ProductModelRow
from zhizao.c2m.product.loading import load_demo_model, parse_product_model
from zhizao.c2m.versions import TRANSITIONS, VersionAction, next_status
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied


def tiny(version: int = 1, *, rules: list[dict[str, Any]] | None = None, blue: bool = True) -> dict[str, Any]:
    """A two-family model: paint (red or blue, one of them) and an optional roof box."""
    paints = [{"code": "RED", "name": {"zh": "红", "en": "Red"}, "price": 1000}]
    if blue:
        paints.append({"code": "BLUE", "name": {"zh": "蓝", "en": "Blue"}, "price": 2000})
    return {
        "code": "MINI",
        "name": {"zh": "小车", "en": "Mini"},
        "version": version,
        "base_price": 50000,
        "families": [
            {"code": "PAINT", "name": {"zh": "颜色", "en": "Paint"}, "options": paints},
            {
                "code": "BOX",
                "name": {"zh": "行李箱", "en": "Box"},
                "min_choices": 0,
                "options": [{"code": "ROOF_BOX", "name": {"zh": "车顶箱", "en": "Roof box"}, "price": 3000}],
            },
        ],
        "rules": rules or [],
        "routing": [
            {
                "sequence": 10,
                "code": "PAINTING",
                "name": {"zh": "喷涂", "en": "Painting"},
                "equipment_type": "paint",
                "base_minutes": 30,
            }
        ],
    }


# Red needs the blue paint, which its own family rules out, and blue needs red: no configuration at all.
CONFLICTING = [
    {"kind": "requires", "id": "R-RED-BLUE", "option": "RED", "any_of": ["BLUE"]},
    {"kind": "requires", "id": "R-BLUE-RED", "option": "BLUE", "any_of": ["RED"]},
]


def alias_bomb(levels: int = 9) -> bytes:
    """A few hundred bytes of YAML that stand for 10 ** ``levels`` values through anchors."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 10)}]")
    return "\n".join(lines).encode()


def draft(world: World, data: dict[str, Any], maker: Any = None) -> tuple[Any, ProductModelRow]:
    maker = maker or world.user(Role.ENTERPRISE)
    with world.database.session() as session:
        row = versions.create_draft(session, principal_of(maker), parse_product_model(data))
        session.expunge(row)
    return maker, row


@pytest.mark.parametrize(
    ("status", "action", "target"),
    [
        (ModelStatus.DRAFT, VersionAction.RELEASE, ModelStatus.RELEASED),
        (ModelStatus.DRAFT, VersionAction.RETIRE, ModelStatus.RETIRED),
        (ModelStatus.RELEASED, VersionAction.RETIRE, ModelStatus.RETIRED),
        (ModelStatus.RELEASED, VersionAction.RELEASE, None),
        (ModelStatus.RETIRED, VersionAction.RELEASE, None),
        (ModelStatus.RETIRED, VersionAction.RETIRE, None),
    ],
)
def test_the_lifecycle_table(status: ModelStatus, action: VersionAction, target: ModelStatus | None) -> None:
    assert TRANSITIONS.get((status, action)) == target
    if target is None:
        with pytest.raises(Conflict):
            next_status(status, action)
    else:
        assert next_status(status, action) is target


def test_an_upload_names_the_field_of_each_problem() -> None:
    broken = tiny(rules=[{"kind": "requires", "id": "R1", "option": "RED", "any_of": ["NOPE"]}])
    with pytest.raises(InputError) as caught:
        parse_upload(yaml.safe_dump(broken, allow_unicode=True).encode(), "mini.yaml")
    assert [problem.field for problem in caught.value.fields] == ["file.rules.0.any_of.0"]
    with pytest.raises(InputError) as caught:
        parse_upload(b'{"code": "MINI", "version": "1"', "mini.json")
    assert caught.value.fields[0].field.startswith("file")
    with pytest.raises(InputError, match="not YAML"):
        parse_upload(b"code: [unclosed", "mini.yaml")
    with pytest.raises(InputError, match="not UTF-8"):
        parse_upload(b"\xff\xfe code", "mini.yaml")
    bomb = alias_bomb()
    with pytest.raises(InputError, match="values: not a product model"):
        parse_upload(bomb, "bomb.yaml")
    assert parse_upload(yaml.safe_dump(tiny(), allow_unicode=True).encode(), "mini.yml").code == "MINI"


def test_a_draft_is_stored_and_audited(world: World) -> None:
    maker, row = draft(world, tiny())
    assert (row.status, row.version, row.enterprise_id, row.name) == (
        ModelStatus.DRAFT,
        1,
        maker.organisation_id,
        "小车",
    )
    with world.database.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "c2m_product_model")).all()
        assert actions == ["c2m_model.create"]
        # the stored definition reads back as the model that was uploaded
        stored = session.get(ProductModelRow, row.id)
        assert stored is not None
        assert parse_product_model(stored.definition) == parse_product_model(tiny())


def test_a_version_that_exists_and_a_code_of_another_maker_are_refused(world: World) -> None:
    maker, _ = draft(world, tiny())
    with pytest.raises(Conflict) as caught:
        draft(world, tiny(), maker)
    assert caught.value.fields[0].field == "body.version"
    with pytest.raises(Conflict) as caught:
        draft(world, tiny(2))  # a new enterprise
    assert caught.value.fields[0].field == "body.code"


def test_release_is_blocked_by_conflicting_rules_and_nothing_changes(world: World) -> None:
    maker, row = draft(world, tiny(rules=CONFLICTING))
    with world.database.session() as session, pytest.raises(InputError) as caught:
        versions.release(session, principal_of(maker), row.id)
    assert [problem.field for problem in caught.value.fields] == ["definition.rules"]
    assert "R-RED-BLUE" in caught.value.message and "R-BLUE-RED" in caught.value.message
    with world.database.session() as session:
        stored = session.get(ProductModelRow, row.id)
        assert stored is not None and stored.status is ModelStatus.DRAFT and stored.released_at is None
        assert (
            session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "c2m_model.release"))
            == 0
        )
        report = versions.release_check(session, stored)
    assert not report.releasable


def test_release_is_blocked_by_a_dead_option(world: World) -> None:
    maker, row = draft(
        world, tiny(rules=[{"kind": "excludes", "id": "R-NO-BOX", "option": "ROOF_BOX", "options": ["RED", "BLUE"]}])
    )
    with world.database.session() as session, pytest.raises(InputError) as caught:
        versions.release(session, principal_of(maker), row.id)
    assert [problem.field for problem in caught.value.fields] == ["definition.families.1.options.0"]


def test_release_against_the_released_version_stores_warnings_and_refuses_an_older_one(world: World) -> None:
    maker, first = draft(world, tiny())
    actor = principal_of(maker)
    with world.database.session() as session:
        versions.release(session, actor, first.id)
    _, second = draft(world, tiny(2), maker)
    _, third = draft(world, tiny(3, blue=False), maker)  # blue removed instead of discontinued: a warning
    with world.database.session() as session:
        released, report = versions.release(session, actor, third.id)
        assert released.status is ModelStatus.RELEASED
        assert [issue.kind.value for issue in report.issues] == ["option_removed"]
        assert released.release_report is not None and released.release_report["issues"][0]["subject"] == "BLUE"
    with world.database.session() as session, pytest.raises(InputError) as caught:
        versions.release(session, actor, second.id)
    assert caught.value.fields[0].field == "definition.version"
    with world.database.session() as session:
        current = versions.current_released(session, "MINI")
        assert current is not None and current.version == 3


def test_retiring_the_current_version_makes_the_one_before_current_again(world: World) -> None:
    maker, first = draft(world, tiny())
    _, second = draft(world, tiny(2), maker)
    actor = principal_of(maker)
    for row in (first, second):
        with world.database.session() as session:
            versions.release(session, actor, row.id)
    with world.database.session() as session:
        versions.retire(session, actor, second.id)
    with world.database.session() as session:
        current = versions.current_released(session, "MINI")
        assert current is not None and current.version == 1
        assert [row.code for row in versions.released_models(session)] == ["MINI"]
    with world.database.session() as session, pytest.raises(Conflict):
        versions.retire(session, actor, second.id)


def test_another_makers_version_is_not_found_and_roles_are_checked(world: World) -> None:
    made = build_maker(world, release=False)
    other = world.user(Role.ENTERPRISE)
    with world.database.session() as session, pytest.raises(NotFound):
        versions.get_version(session, principal_of(other), made.version_id)
    with world.database.session() as session, pytest.raises(NotFound):
        versions.release(session, principal_of(other), made.version_id)
    with world.database.session() as session:
        assert versions.list_versions(session, principal_of(other)) == []
        assert len(versions.list_versions(session, principal_of(world.user(Role.OFFICER)))) == 1
    with world.database.session() as session, pytest.raises(PermissionDenied):
        versions.create_draft(session, principal_of(world.user(Role.CONSUMER)), load_demo_model())
    admin = principal_of(world.user(Role.ADMIN))
    with world.database.session() as session, pytest.raises(InputError) as caught:
        versions.create_draft(session, admin, changed(load_demo_model(), code="ZX-S9"))
    assert caught.value.fields[0].field == "query.enterprise_id"
    with world.database.session() as session:
        row = versions.create_draft(
            session, admin, changed(load_demo_model(), code="ZX-S9"), enterprise_id=other.organisation_id
        )
        assert row.enterprise_id == other.organisation_id
