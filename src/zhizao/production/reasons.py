"""Versioned downtime reason trees per enterprise.

A tree is replaced, never edited: each change is a new version holding the full tree, and the highest version is
the current one. Stops classified under an older version keep their reason, so a Pareto over last year still
reads the names used then; new classifications must use the current version. An enterprise that never wrote a
tree gets ``DEFAULT_TREE`` as version 1 the first time its current tree is needed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, FieldProblem, InputError
from zhizao.production.models import DowntimeReason, LossCategory, ReasonTree
from zhizao.production.schemas import ReasonRead, ReasonSpec, ReasonTreeCreate, ReasonTreeRead, ReasonTreeSummary
from zhizao.telemetry.scope import enterprise_for_read, enterprise_for_write, get_scoped, tenant_clauses

# (code, parent code, name, loss category): a starting point most discrete manufacturers recognise; each
# enterprise replaces it with its own version when it wants to.
DEFAULT_TREE: tuple[tuple[str, str | None, str, LossCategory], ...] = (
    ("BD", None, "设备故障", LossCategory.BREAKDOWN),
    ("BD-MECH", "BD", "机械故障", LossCategory.BREAKDOWN),
    ("BD-ELEC", "BD", "电气故障", LossCategory.BREAKDOWN),
    ("BD-HYD", "BD", "液压气动故障", LossCategory.BREAKDOWN),
    ("BD-CTRL", "BD", "数控系统故障", LossCategory.BREAKDOWN),
    ("BD-TOOL", "BD", "刀具模具损坏", LossCategory.BREAKDOWN),
    ("SU", None, "换型调整", LossCategory.SETUP),
    ("SU-CHG", "SU", "换型换模", LossCategory.SETUP),
    ("SU-TOOL", "SU", "换刀", LossCategory.SETUP),
    ("SU-FIRST", "SU", "首件调试", LossCategory.SETUP),
    ("MS", None, "短暂停机", LossCategory.MINOR_STOP),
    ("MS-JAM", "MS", "卡料堵料", LossCategory.MINOR_STOP),
    ("MS-SENSOR", "MS", "传感器误报", LossCategory.MINOR_STOP),
    ("MS-CLEAN", "MS", "清理排屑", LossCategory.MINOR_STOP),
    ("WM", None, "待料", LossCategory.WAITING),
    ("WM-SHORT", "WM", "物料短缺", LossCategory.WAITING),
    ("WM-UP", "WM", "上游工序未完成", LossCategory.WAITING),
    ("WM-DOWN", "WM", "下游满料", LossCategory.WAITING),
    ("WP", None, "待人", LossCategory.WAITING),
    ("WP-ABSENT", "WP", "操作工不在岗", LossCategory.WAITING),
    ("WP-MEETING", "WP", "会议培训", LossCategory.WAITING),
    ("QP", None, "质量问题", LossCategory.QUALITY),
    ("QP-CHECK", "QP", "质量检验确认", LossCategory.QUALITY),
    ("QP-REWORK", "QP", "返工处理", LossCategory.QUALITY),
    ("OT", None, "其他", LossCategory.OTHER),
    ("OT-POWER", "OT", "停电停气", LossCategory.OTHER),
    ("OT-OTHER", "OT", "其他原因", LossCategory.OTHER),
)
DEFAULT_SPECS = tuple(
    ReasonSpec(code=code, parent_code=parent, name=name, category=category)
    for code, parent, name, category in DEFAULT_TREE
)


def check_tree(reasons: Sequence[ReasonSpec], field: str = "body.reasons") -> None:
    """Codes unique, every parent present, no cycle: each problem named by its position in the list."""
    problems: list[FieldProblem] = []
    parents: dict[str, str | None] = {}
    for index, reason in enumerate(reasons):
        if reason.code in parents:
            problems.append(FieldProblem(f"{field}[{index}].code", f"code {reason.code} appears twice"))
        parents[reason.code] = reason.parent_code
    for index, reason in enumerate(reasons):
        if reason.parent_code is not None and reason.parent_code not in parents:
            problems.append(
                FieldProblem(f"{field}[{index}].parent_code", f"parent {reason.parent_code} is not in the tree")
            )
    for index, reason in enumerate(reasons):
        seen = {reason.code}
        parent = reason.parent_code
        while parent is not None and parent in parents:
            if parent in seen:
                problems.append(FieldProblem(f"{field}[{index}].parent_code", f"{reason.code} is its own ancestor"))
                break
            seen.add(parent)
            parent = parents[parent]
    if problems:
        raise InputError(f"{len(problems)} problems in the reason tree", fields=problems[:200])


def current_tree(session: Session, enterprise_id: int) -> ReasonTree | None:
    query = select(ReasonTree).where(ReasonTree.enterprise_id == enterprise_id)
    return session.scalar(query.order_by(ReasonTree.version.desc()).limit(1))


def _add_tree(session: Session, enterprise_id: int, reasons: Sequence[ReasonSpec]) -> ReasonTree:
    latest = session.scalar(select(func.max(ReasonTree.version)).where(ReasonTree.enterprise_id == enterprise_id))
    tree = ReasonTree(enterprise_id=enterprise_id, version=(latest or 0) + 1)
    session.add(tree)
    session.flush()
    session.add_all(DowntimeReason(tree_id=tree.id, **reason.model_dump()) for reason in reasons)
    session.flush()
    return tree


def _add_tree_or_conflict(session: Session, enterprise_id: int, reasons: Sequence[ReasonSpec]) -> ReasonTree:
    try:
        return _add_tree(session, enterprise_id, reasons)
    except IntegrityError as exc:  # the unique (enterprise, version): a concurrent request wrote a version first
        raise Conflict("another version of this reason tree was written at the same time; try again") from exc


def ensure_current_tree(session: Session, enterprise_id: int) -> ReasonTree:
    """The current tree, seeding ``DEFAULT_TREE`` as version 1 for an enterprise that has none (in the caller's
    transaction)."""
    tree = current_tree(session, enterprise_id)
    if tree is None:
        tree = _add_tree_or_conflict(session, enterprise_id, DEFAULT_SPECS)
        audit.record(
            session, None, action="reason_tree.seed", entity_type="reason_tree", entity_id=tree.id,
            organisation_id=enterprise_id, after={"version": tree.version, "reasons": len(DEFAULT_SPECS)},
            detail="default reason tree seeded on first use",
        )  # fmt: skip
    return tree


def reasons_of(session: Session, tree_id: int) -> Sequence[DowntimeReason]:
    return session.scalars(
        select(DowntimeReason).where(DowntimeReason.tree_id == tree_id).order_by(DowntimeReason.id)
    ).all()


def _tree_read(session: Session, tree: ReasonTree, current_id: int | None) -> ReasonTreeRead:
    return ReasonTreeRead(
        id=tree.id,
        enterprise_id=tree.enterprise_id,
        version=tree.version,
        created_at=tree.created_at,
        is_current=tree.id == current_id,
        reasons=[ReasonRead.model_validate(reason) for reason in reasons_of(session, tree.id)],
    )


def read_current(session: Session, actor: Principal, enterprise_id: int | None) -> ReasonTreeRead:
    with session.begin():
        tree = ensure_current_tree(session, enterprise_for_read(session, actor, enterprise_id))
        return _tree_read(session, tree, tree.id)


def read_tree(session: Session, actor: Principal, tree_id: int) -> ReasonTreeRead:
    tree = get_scoped(session, actor, ReasonTree, tree_id, "reason tree")
    current = current_tree(session, tree.enterprise_id)
    return _tree_read(session, tree, current.id if current else None)


def list_versions(session: Session, actor: Principal, enterprise_id: int | None = None) -> list[ReasonTreeSummary]:
    counts = select(DowntimeReason.tree_id, func.count().label("reasons")).group_by(DowntimeReason.tree_id).subquery()
    rows = session.execute(
        select(ReasonTree, func.coalesce(counts.c.reasons, 0))
        .outerjoin(counts, counts.c.tree_id == ReasonTree.id)
        .where(*tenant_clauses(actor, ReasonTree.enterprise_id, enterprise_id))
        .order_by(ReasonTree.enterprise_id, ReasonTree.version.desc())
    ).all()
    latest: dict[int, int] = {}
    for tree, _ in rows:
        latest.setdefault(tree.enterprise_id, tree.version)
    return [
        ReasonTreeSummary(
            id=tree.id,
            enterprise_id=tree.enterprise_id,
            version=tree.version,
            created_at=tree.created_at,
            is_current=latest[tree.enterprise_id] == tree.version,
            reasons=int(count),
        )
        for tree, count in rows
    ]


def create_version(session: Session, actor: Principal, data: ReasonTreeCreate) -> ReasonTreeRead:
    """A new version of the enterprise's tree: the full list of reasons, which becomes the current tree."""
    check_tree(data.reasons)
    with session.begin():
        enterprise_id = enterprise_for_write(session, actor, data.enterprise_id)
        tree = _add_tree_or_conflict(session, enterprise_id, data.reasons)
        audit.record(
            session, actor, action="reason_tree.create", entity_type="reason_tree", entity_id=tree.id,
            organisation_id=enterprise_id,
            after={"version": tree.version, "codes": [reason.code for reason in data.reasons]},
        )  # fmt: skip
        return _tree_read(session, tree, tree.id)
