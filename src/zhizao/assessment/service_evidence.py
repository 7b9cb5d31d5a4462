"""Evidence files of an assessment: checked by size and by content (the bytes must be what the extension says),
kept under ``<data dir>/evidence/<assessment id>/`` with their SHA-256, downloadable only within scope.

Accepted: PDF, PNG, JPEG, Excel (.xlsx) and Word (.docx), up to ``MAX_EVIDENCE_BYTES``. The content decides, not
the client's content type: a renamed executable is refused. Nothing is written when a check fails, and a file
written before its row fails to commit is removed.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.assessment.lifecycle import FINAL_STATUSES
from zhizao.assessment.model import load_model
from zhizao.assessment.models import Assessment, EvidenceFile
from zhizao.assessment.service_access import get_assessment
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_DIR = "evidence"
EVIDENCE_FIELDS = ("assessment_id", "item_id", "original_name", "content_type", "size_bytes", "sha256")


def _zip_with(member: str) -> Callable[[bytes], bool]:
    """Office Open XML: a zip holding its content-types part and the part that makes it a workbook or document."""

    def sniff(content: bytes) -> bool:
        if not content.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return False
        return "[Content_Types].xml" in names and member in names

    return sniff


@dataclass(frozen=True, slots=True)
class FileKind:
    content_type: str
    sniff: Callable[[bytes], bool]


FILE_KINDS: dict[str, FileKind] = {
    "pdf": FileKind("application/pdf", lambda content: content.startswith(b"%PDF-")),
    "png": FileKind("image/png", lambda content: content.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": FileKind("image/jpeg", lambda content: content.startswith(b"\xff\xd8\xff")),
    "jpeg": FileKind("image/jpeg", lambda content: content.startswith(b"\xff\xd8\xff")),
    "xlsx": FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _zip_with("xl/workbook.xml")),
    "docx": FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _zip_with("word/document.xml")
    ),
}


def evidence_path(data_dir: Path, row: EvidenceFile) -> Path:
    return data_dir / EVIDENCE_DIR / str(row.assessment_id) / row.stored_name


def _clean_name(filename: str | None) -> str:
    # Only the last path component, no control characters; the stored name is ours, this one is for display.
    name = PurePath((filename or "").replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[:255]


def check_file(content: bytes, filename: str | None, max_bytes: int = MAX_EVIDENCE_BYTES) -> tuple[str, FileKind]:
    """The file's extension and kind; InputError at ``body.file`` when it is empty, too large or not what it says."""
    if len(content) > max_bytes:
        limit = f"{max_bytes // 2**20} MiB" if max_bytes % 2**20 == 0 else f"{max_bytes} bytes"
        raise InputError.for_field("body.file", f"the file is larger than the limit of {limit}")
    if not content:
        raise InputError.for_field("body.file", "the file is empty")
    name = _clean_name(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = FILE_KINDS.get(extension)
    if kind is None:
        allowed = ", ".join(sorted({".pdf", ".png", ".jpg", ".jpeg", ".xlsx", ".docx"}))
        raise InputError.for_field("body.file", f"{name or 'the file'}: only {allowed} files are accepted")
    if not kind.sniff(content):
        raise InputError.for_field("body.file", f"{name}: the content is not a {extension} file")
    return extension, kind


def _may_upload(actor: Principal, assessment: Assessment) -> None:
    if assessment.status in FINAL_STATUSES:
        raise Conflict(f"assessment {assessment.id} is {assessment.status.value}: its evidence is final")
    if actor.role not in (Role.ADMIN, Role.OFFICER, Role.EXPERT, Role.ENTERPRISE):
        raise PermissionDenied(f"role {actor.role.value} may not upload evidence")


def upload(
    session: Session,
    actor: Principal,
    data_dir: Path,
    assessment_id: int,
    *,
    content: bytes | None,
    filename: str | None,
    item_id: str | None,
    max_bytes: int = MAX_EVIDENCE_BYTES,
) -> EvidenceFile:
    """Check and keep one evidence file, optionally for one item of the assessment's model version."""
    written: Path | None = None
    try:
        with session.begin():
            assessment = get_assessment(session, actor, assessment_id, lock=True)
            _may_upload(actor, assessment)
            if content is None:
                raise InputError.for_field("body.file", "attach the file (multipart field 'file')")
            extension, kind = check_file(content, filename, max_bytes)
            if item_id is not None and not load_model(assessment.model_version).has_requirement(item_id):
                raise InputError.for_field(
                    "body.item_id", f"{item_id}: no such item in model {assessment.model_version}"
                )
            row = EvidenceFile(
                assessment_id=assessment.id,
                item_id=item_id,
                stored_name=f"{uuid.uuid4().hex}.{extension}",
                original_name=_clean_name(filename),
                content_type=kind.content_type,
                size_bytes=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                uploaded_by=actor.user_id,
            )
            session.add(row)
            session.flush()
            audit.record(
                session, actor, action="assessment.evidence", entity_type="assessment", entity_id=assessment.id,
                organisation_id=assessment.enterprise_id, after=audit.snapshot(row, EVIDENCE_FIELDS),
            )  # fmt: skip
            path = evidence_path(data_dir, row)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            written = path
    except BaseException:
        # The row did not commit: a file nobody can reach would only take space.
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    return row


def list_evidence(session: Session, actor: Principal, assessment_id: int) -> Sequence[EvidenceFile]:
    assessment = get_assessment(session, actor, assessment_id)
    query = select(EvidenceFile).where(EvidenceFile.assessment_id == assessment.id)
    return session.scalars(query.order_by(EvidenceFile.id)).all()


def open_evidence(
    session: Session, actor: Principal, data_dir: Path, assessment_id: int, evidence_id: int
) -> tuple[EvidenceFile, bytes]:
    """The file and its bytes, if the caller may see the assessment it belongs to."""
    assessment = get_assessment(session, actor, assessment_id)
    row = session.get(EvidenceFile, evidence_id)
    if row is None or row.assessment_id != assessment.id:
        raise NotFound(f"evidence {evidence_id} not found")
    path = evidence_path(data_dir, row)
    try:
        content = path.read_bytes()
    except FileNotFoundError as exc:
        raise NotFound(f"evidence {evidence_id}: the file is missing from the data directory") from exc
    return row, content
