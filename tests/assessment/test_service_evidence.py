"""Evidence files: checked by size and content, stored with their SHA-256 under the data dir, readable only within
scope; a refused upload writes nothing."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.assessment.builders import enterprise, principal_of, running_diagnosis
from tests.conftest import World
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.assessment import service, service_evidence
from zhizao.assessment.models import EvidenceFile
from zhizao.assessment.schemas import SelfAssessmentCreate
from zhizao.errors import InputError, NotFound

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(["设备", "联网"])
    workbook.save(buffer)
    return buffer.getvalue()


def _files(data_dir: Path) -> list[Path]:
    return sorted(path for path in (data_dir / "evidence").rglob("*") if path.is_file())


def _draft(world: World) -> tuple[int, Principal]:
    target = enterprise(world)
    actor = principal_of(target.user)
    with world.database.session() as session:
        return service.create_self_assessment(session, actor, SelfAssessmentCreate()).id, actor


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PDF, "能源管理制度.pdf", "application/pdf"),
        (PNG, "screen.PNG", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "site.jpeg", "image/jpeg"),
        (_xlsx(), "meters.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_accepted_files_are_stored_with_their_hash(
    world: World, tmp_path: Path, content: bytes, name: str, content_type: str
) -> None:
    draft_id, actor = _draft(world)
    with world.database.session() as session:
        row = service_evidence.upload(
            session,
            actor,
            tmp_path,
            draft_id,
            content=content,
            filename=f"C:\\docs\\{name}",
            item_id="data.L1.1",
        )
    assert row.original_name == name and row.content_type == content_type and row.size_bytes == len(content)
    assert row.sha256 == hashlib.sha256(content).hexdigest()
    stored = _files(tmp_path)
    assert [path.parent.name for path in stored] == [str(draft_id)] and stored[0].read_bytes() == content
    with world.database.session() as session:
        opened, data = service_evidence.open_evidence(session, actor, tmp_path, draft_id, row.id)
    assert data == content and opened.id == row.id


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00" + b"\x00" * 64, "report.pdf", "the content is not a pdf file"),
        (PDF, "report.exe", "only .docx, .jpeg, .jpg, .pdf, .png, .xlsx files"),
        (PNG, "noextension", "only"),
        (b"PK\x03\x04not really a zip", "plan.docx", "the content is not a docx file"),
        (_xlsx(), "plan.docx", "the content is not a docx file"),
        (b"", "empty.pdf", "empty"),
        (PDF + b"\x00" * 2**20, "big.pdf", "larger than the limit of 1 MiB"),
    ],
)
def test_refused_files_write_nothing(world: World, tmp_path: Path, content: bytes, name: str, message: str) -> None:
    draft_id, actor = _draft(world)
    with world.database.session() as session, pytest.raises(InputError, match=message) as caught:
        service_evidence.upload(
            session,
            actor,
            tmp_path,
            draft_id,
            content=content,
            filename=name,
            item_id=None,
            max_bytes=2**20,
        )
    assert [problem.field for problem in caught.value.fields] == ["body.file"]
    assert not (tmp_path / "evidence").exists() or _files(tmp_path) == []
    with world.database.session() as session:
        assert session.scalar(select(func.count()).select_from(EvidenceFile)) == 0


def test_the_default_limit_is_ten_mebibytes(world: World, tmp_path: Path) -> None:
    draft_id, actor = _draft(world)
    oversize = PDF + b"\x00" * (10 * 1024 * 1024 - len(PDF) + 1)
    with world.database.session() as session, pytest.raises(InputError, match="limit of 10 MiB"):
        service_evidence.upload(session, actor, tmp_path, draft_id, content=oversize, filename="a.pdf", item_id=None)
    with world.database.session() as session, pytest.raises(InputError, match="no such item") as caught:
        service_evidence.upload(session, actor, tmp_path, draft_id, content=PDF, filename="a.pdf", item_id="x.L1.1")
    assert caught.value.fields[0].field == "body.item_id"
    assert not (tmp_path / "evidence").exists()


def test_evidence_is_read_only_within_scope(world: World, tmp_path: Path) -> None:
    target = enterprise(world)
    diagnosis_id, (lead, _) = running_diagnosis(world, target)
    with world.database.session() as session:
        row = service_evidence.upload(
            session, principal_of(lead.user), tmp_path, diagnosis_id, content=PDF, filename="a.pdf", item_id=None
        )
    with world.database.session() as session:
        assert [
            entry.id for entry in service_evidence.list_evidence(session, principal_of(target.user), diagnosis_id)
        ] == [row.id]
    outsider_expert = principal_of(world.user(Role.EXPERT))
    other_enterprise = principal_of(world.user(Role.ENTERPRISE))
    for outsider in (outsider_expert, other_enterprise):
        with world.database.session() as session, pytest.raises(NotFound):
            service_evidence.open_evidence(session, outsider, tmp_path, diagnosis_id, row.id)
    # An evidence id under another assessment's id is not found either.
    other_draft, owner = _draft(world)
    with world.database.session() as session, pytest.raises(NotFound):
        service_evidence.open_evidence(session, owner, tmp_path, other_draft, row.id)
