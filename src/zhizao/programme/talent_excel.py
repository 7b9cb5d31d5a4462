"""The talent area's Excel files: a cohort's trainees imported from a workbook (every row or none), the import
template and the export of a cohort's trainees with their outcomes, which imports back as it is."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, FieldProblem, InputError
from zhizao.programme.models_community import TRAINEE_STATUS_LABELS
from zhizao.programme.schemas_community import TraineeCreate, TraineeImportReport
from zhizao.programme.service_talent import check_seat, get_cohort, list_trainees, new_trainee
from zhizao.ui import spreadsheet
from zhizao.ui.i18n import gettext

# column code → header of the import template (zh-CN), in template order; the export adds the outcome columns.
IMPORT_COLUMNS = {"name": "姓名", "employer_name": "工作单位", "id_number": "证件号码", "phone": "手机号码"}
EXPORT_HEADERS = (*IMPORT_COLUMNS.values(), "状态", "证书编号", "发证日期", "优秀咨询师评选日期")


def _digits(text: str) -> str | None:
    """Excel keeps a long number typed into a cell (a phone, an id number) as a float: 13800138000.0."""
    return (text[:-2] if re.fullmatch(r"\d+\.0", text) else text) or None


def import_trainees(session: Session, actor: Principal, cohort_id: int, content: bytes) -> TraineeImportReport:
    """Enrol the workbook's trainees in a cohort: every row or none, each problem named ``row N: column``. An
    employer whose name is a registered organisation's is linked to it."""
    rows = spreadsheet.read_rows(content, IMPORT_COLUMNS, ("name", "employer_name"))
    if not rows:
        raise InputError.for_field("file", "has no data rows")
    problems: list[FieldProblem] = []
    with session.begin():
        cohort = get_cohort(session, cohort_id, lock=True)
        check_seat(session, cohort, "file", len(rows))
        names = {row["employer_name"] for row in rows}
        organisations = dict(
            session.execute(select(Organisation.name, Organisation.id).where(Organisation.name.in_(names))).all()
        )
        for number, row in enumerate(rows, start=2):  # row 1 is the header
            try:
                data = TraineeCreate(
                    name=row["name"], employer_id=organisations.get(row["employer_name"]),
                    employer_name=row["employer_name"] or None, id_number=_digits(row.get("id_number", "")),
                    phone=_digits(row.get("phone", "")),
                )  # fmt: skip
                new_trainee(session, cohort, data)
            except ValidationError as exc:
                problems.extend(spreadsheet.row_problems(number, exc))
            except (InputError, Conflict) as exc:
                problems.extend(
                    FieldProblem(f"row {number}: {p.field.removeprefix('body.')}", p.message) for p in exc.fields
                )
        if problems:
            raise InputError(f"{len(problems)} problems in the workbook; nothing was imported", fields=problems[:200])
        report = TraineeImportReport(rows=len(rows), created=len(rows))
        session.flush()
        audit.record(
            session, actor, action="talent_trainee.import", entity_type="talent_cohort", entity_id=cohort_id,
            after=report.model_dump(),
        )  # fmt: skip
    return report


def import_template() -> bytes:
    examples = [["张伟", "上海某某汽车零部件有限公司", "", "13800138000"], ["李娜", "上海交通大学", "", ""]]
    return spreadsheet.template_workbook("学员", list(IMPORT_COLUMNS.values()), examples)


def export_trainees(session: Session, cohort_id: int) -> bytes:
    """The cohort's trainees with their outcomes; the first four columns import back as they are."""
    rows: list[list[Any]] = [
        [
            trainee.name, trainee.employer_name, trainee.id_number, trainee.phone,
            gettext(TRAINEE_STATUS_LABELS[trainee.status]), trainee.certificate_no, trainee.certified_on,
            trainee.excellent_on,
        ]
        for trainee in list_trainees(session, cohort_id)
    ]  # fmt: skip
    return spreadsheet.template_workbook("学员", list(EXPORT_HEADERS), rows)
