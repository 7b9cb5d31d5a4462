"""Import an asset list from Excel: every row checked first, then all of it committed in one transaction, or none.

One sheet, one row per piece of equipment, with the site / area / line (/ cell) it stands in; nodes are created
on first mention and reused by code after. Headers may be English codes or the Chinese names of the template.
Existing equipment (same code) is updated, so re-importing a corrected list is safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem, InputError
from zhizao.telemetry.kinds import EQUIPMENT_TYPE_LABELS, EquipmentType, NodeLevel
from zhizao.telemetry.models import AssetNode, Equipment
from zhizao.telemetry.schemas import EquipmentCreate, NodeCreate
from zhizao.telemetry.scope import enterprise_for_write
from zhizao.ui import i18n, spreadsheet

MAX_ROWS = spreadsheet.DEFAULT_MAX_ROWS
MAX_BYTES = spreadsheet.DEFAULT_MAX_BYTES

# column code → header shown in the template (zh-CN), in template order
COLUMNS: dict[str, str] = {
    "site_code": "厂区编码", "site_name": "厂区名称", "area_code": "车间编码", "area_name": "车间名称",
    "line_code": "产线编码", "line_name": "产线名称", "cell_code": "单元编码", "cell_name": "单元名称",
    "equipment_code": "设备编码", "equipment_name": "设备名称", "equipment_type": "设备类型",
    "manufacturer": "制造商", "model": "型号", "serial_number": "出厂编号", "year": "出厂年份",
}  # fmt: skip
REQUIRED = ("site_code", "area_code", "line_code", "equipment_code", "equipment_name", "equipment_type")
LEVELS = (("site", NodeLevel.SITE), ("area", NodeLevel.AREA), ("line", NodeLevel.LINE), ("cell", NodeLevel.CELL))


@dataclass(frozen=True)
class ImportResult:
    rows: int
    nodes_created: int
    equipment_created: int
    equipment_updated: int


def _equipment_type(value: str) -> EquipmentType:
    """A type by code (cnc_machine_tool) or by its Chinese or English label (数控机床, CNC machine tool)."""
    text = value.strip()
    for kind, label in EQUIPMENT_TYPE_LABELS.items():
        if text in (kind, label) or text == i18n.translations("zh_CN").ugettext(label):
            return EquipmentType(kind)
    raise ValueError(f"unknown equipment type {text!r}")


def read_rows(content: bytes) -> list[dict[str, str]]:
    return spreadsheet.read_rows(content, COLUMNS, REQUIRED, max_rows=MAX_ROWS, max_bytes=MAX_BYTES)


def import_assets(session: Session, actor: Principal, content: bytes, enterprise_id: int | None) -> ImportResult:
    rows = read_rows(content)
    if not rows:
        raise InputError.for_field("file", "has no data rows")
    problems: list[FieldProblem] = []
    with session.begin():
        enterprise = enterprise_for_write(session, actor, enterprise_id)
        nodes = {
            node.code: node for node in session.scalars(select(AssetNode).where(AssetNode.enterprise_id == enterprise))
        }
        equipment = {
            row.code: row for row in session.scalars(select(Equipment).where(Equipment.enterprise_id == enterprise))
        }
        created_nodes = created_equipment = updated_equipment = 0
        for number, row in enumerate(rows, start=2):  # row 1 is the header
            try:
                parent: AssetNode | None = None
                for prefix, level in LEVELS:
                    code = row.get(f"{prefix}_code", "")
                    if not code:
                        if level == NodeLevel.CELL:
                            break
                        raise ValueError(f"{COLUMNS[prefix + '_code']} is empty")
                    node = nodes.get(code)
                    if node is None:
                        spec = NodeCreate(level=level, code=code, name=row.get(f"{prefix}_name") or code)
                        node = AssetNode(
                            enterprise_id=enterprise, parent=parent, level=level, code=spec.code, name=spec.name
                        )
                        session.add(node)
                        nodes[code] = node
                        created_nodes += 1
                    elif node.level != level:
                        raise ValueError(f"code {code} is already a {node.level.value}, not a {level.value}")
                    parent = node
                spec_e = EquipmentCreate(
                    code=row["equipment_code"],
                    name=row["equipment_name"],
                    equipment_type=_equipment_type(row["equipment_type"]),
                    manufacturer=row.get("manufacturer") or None,
                    model=row.get("model") or None,
                    serial_number=row.get("serial_number") or None,
                    year=int(float(row["year"])) if row.get("year") else None,
                )
            except ValidationError as exc:
                problems.extend(spreadsheet.row_problems(number, exc))
                continue
            except ValueError as exc:
                problems.append(FieldProblem(f"row {number}", str(exc)))
                continue
            values = spec_e.model_dump(exclude={"enterprise_id", "node_id"})
            existing = equipment.get(spec_e.code)
            if existing is None:
                existing = Equipment(**values, enterprise_id=enterprise, node=parent)
                session.add(existing)
                equipment[spec_e.code] = existing
                created_equipment += 1
            else:
                for name, value in values.items():
                    setattr(existing, name, value)
                existing.node = parent
                updated_equipment += 1
        if problems:
            raise InputError(f"{len(problems)} problems in the workbook; nothing was imported", fields=problems[:200])
        result = ImportResult(len(rows), created_nodes, created_equipment, updated_equipment)
        audit.record(
            session, actor, action="assets.import", entity_type="equipment", organisation_id=enterprise,
            after={"rows": result.rows, "nodes_created": created_nodes, "equipment_created": created_equipment,
                   "equipment_updated": updated_equipment},
        )  # fmt: skip
    return result


def template_workbook() -> bytes:
    """The import template: headers and one example row."""
    example = [
        "S1", "临港工厂", "A1", "机加工车间", "L1", "缸体加工线", "", "", "L1-CNC-01", "立式加工中心 1 号",
        "数控机床", "上海机床厂", "VMC850", "SN-2021-0001", 2021,
    ]  # fmt: skip
    return spreadsheet.template_workbook("设备清单", list(COLUMNS.values()), [example])
