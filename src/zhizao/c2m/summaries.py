"""A stored version, a configurator step and an order as the API sends them (and the pages show them)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhizao.c2m import orders
from zhizao.c2m.configuring import ConfiguratorView, Reason
from zhizao.c2m.definitions import model_of
from zhizao.c2m.models import ConsumerOrder, ProductModelRow
from zhizao.c2m.product.explain import rule_explanation
from zhizao.c2m.product.model import ProductModel
from zhizao.c2m.product.release import ReleaseReport
from zhizao.c2m.schemas import (
    BomLineRead,
    EventRead,
    FamilyRead,
    FamilySummary,
    ModelListing,
    OperationRead,
    OperationSummary,
    OptionRead,
    OptionSummary,
    OrderDetail,
    OrderRead,
    ReasonRead,
    ReleaseReportRead,
    RuleSummary,
    StepRead,
    VersionDetail,
    VersionRead,
)
from zhizao.c2m.wording import in_language, sentence


def version_detail(row: ProductModelRow) -> VersionDetail:
    model = model_of(row)
    return VersionDetail(
        **VersionRead.model_validate(row).model_dump(),
        base_price=model.base_price,
        families=[
            FamilySummary(
                code=family.code,
                name=in_language(family.name),
                min_choices=family.min_choices,
                max_choices=family.max_choices,
                options=[
                    OptionSummary(code=o.code, name=in_language(o.name), price=o.price, discontinued=o.discontinued)
                    for o in family.options
                ],
            )
            for family in model.families
        ],
        rules=[
            RuleSummary(id=rule.id, kind=rule.kind, sentence=sentence(model, rule_explanation(model, rule)))
            for rule in model.rules
        ],
        bom_lines=len(model.bom),
        routing=[
            OperationSummary(
                sequence=op.sequence,
                code=op.code,
                name=in_language(op.name),
                equipment_type=op.equipment_type,
                base_minutes=op.base_minutes,
                condition=op.condition,
            )
            for op in sorted(model.routing, key=lambda op: op.sequence)
        ],
        release_report=row.release_report,
    )


def report_read(report: ReleaseReport) -> ReleaseReportRead:
    return ReleaseReportRead.model_validate(
        {
            "code": report.code,
            "version": report.version,
            "releasable": report.releasable,
            "issues": [issue.model_dump(exclude={"reasons"}) for issue in report.issues],
        }
    )


def listing(row: ProductModelRow) -> ModelListing:
    model = model_of(row)
    return ModelListing(
        code=model.code, version=model.version, name=in_language(model.name), base_price=model.base_price,
        families=len(model.families), options=len(model.options),
    )  # fmt: skip


def _reasons(reasons: tuple[Reason, ...]) -> list[ReasonRead]:
    return [ReasonRead(rule_id=r.rule_id, text=r.text, message=r.message) for r in reasons]


def step_read(view: ConfiguratorView) -> StepRead:
    return StepRead(
        code=view.code,
        version=view.version,
        chosen=list(view.chosen),
        price=view.price,
        valid=view.valid,
        complete=view.complete,
        conflict=_reasons(view.conflict),
        conflict_because_of=view.conflict_because_of,
        families=[
            FamilyRead(
                code=family.code,
                name=family.name,
                min_choices=family.min_choices,
                max_choices=family.max_choices,
                missing=family.missing,
                options=[
                    OptionRead(
                        code=o.code,
                        name=o.name,
                        price=o.price,
                        state=o.state,
                        reasons=_reasons(o.reasons),
                        because_of=o.because_of,
                        in_conflict=o.in_conflict,
                    )
                    for o in family.options
                ],
            )
            for family in view.families
        ],
    )


def order_detail(session: Session, order: ConsumerOrder) -> OrderDetail:
    row = session.get(ProductModelRow, order.model_id)
    assert row is not None
    return OrderDetail(
        **OrderRead.model_validate(order).model_dump(), model_code=row.code, model_version=row.version,
        events=[EventRead.model_validate(event) for event in orders.events(session, order.id)],
        operations=[OperationRead.model_validate(op) for op in orders.operations(session, order.id)],
    )  # fmt: skip


def bom_lines(session: Session, order: ConsumerOrder) -> list[BomLineRead]:
    explosion = orders.explosion_of(session, order)
    return [
        BomLineRead(
            position=item.position,
            part_number=item.part_number,
            description=in_language(item.description),
            quantity=item.quantity,
            unit=item.unit,
        )
        for item in explosion.bom
    ]


def chosen_names(model: ProductModel, chosen: list[str]) -> list[tuple[str, str, str]]:
    """(family name, option name, option code) of an order's configuration, in the order of its model version."""
    picked = set(chosen)
    return [
        (in_language(family.name), in_language(option.name), option.code)
        for family in model.families
        for option in family.options
        if option.code in picked
    ]
