"""JSON API of invoices and disputes (``/api/sharing/invoices``, ``/api/sharing/disputes``).

Owners and lessees (enterprise users of either party) and administrators read an invoice; officers read too and
change nothing. The owner issues (after the meters ran) and answers disputes; the lessee disputes a line. Another
tenant's invoice or dispute is 404; the wrong party is 403. The services own scope and transactions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy.orm import Session

from zhizao.accounts.deps import DatabaseDep, SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.fields import IdPath, Limit, Offset, TextQuery
from zhizao.sharing import disputes, invoices
from zhizao.sharing.billing_models import InvoiceRow
from zhizao.sharing.bookings import Side
from zhizao.sharing.invoice_issue import issue_with_metering, owner_of
from zhizao.sharing.invoice_pdf import render_pdf
from zhizao.sharing.invoice_views import InvoiceView, covered_records, invoice_view, list_invoices, organisation_names
from zhizao.sharing.invoice_views import side_of as caller_side
from zhizao.sharing.invoice_xlsx import render_xlsx
from zhizao.sharing.schemas_invoices import (
    BookingLinesRead,
    CreditNoteRead,
    DisputeAnswer,
    DisputeCreate,
    DisputeRead,
    InvoiceCreate,
    InvoiceDetail,
    InvoiceLineRead,
    InvoicePage,
    InvoiceSummary,
    RecomputationRead,
    RecomputedLine,
    TariffVersionRead,
)
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.ui.spreadsheet import XLSX_MEDIA_TYPE

router = APIRouter(prefix="/api/sharing", tags=["capacity sharing"])

Reader = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE))]
Party = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]  # acts as owner or lessee
PDF_MEDIA_TYPE = "application/pdf"


def summary_of(actor: Principal, invoice: InvoiceRow, names: dict[int, str]) -> InvoiceSummary:
    return InvoiceSummary(
        id=invoice.id, number=invoice.number, owner_id=invoice.owner_id, lessee_id=invoice.lessee_id,
        owner_name=names.get(invoice.owner_id, ""), lessee_name=names.get(invoice.lessee_id, ""),
        side=caller_side(actor, invoice), period=invoice.period, status=invoice.status, total_cny=invoice.total_cny,
        head_seq=invoice.head_seq, head_hash=invoice.head_hash, issued_at=invoice.issued_at,
    )  # fmt: skip


def detail_of(actor: Principal, view: InvoiceView) -> InvoiceDetail:
    invoice = view.invoice
    names = {invoice.owner_id: view.owner_name, invoice.lessee_id: view.lessee_name}
    groups = []
    for group in view.bookings:
        lines = []
        for row in group.lines:
            dispute = view.open_dispute(row.id)
            lines.append(
                InvoiceLineRead(
                    id=row.id, position=row.position, booking_id=row.booking_id, listing_id=row.listing_id,
                    kind=row.kind, tariff_id=row.tariff_pk, tariff_version=row.tariff_version,
                    component=row.component, quantity=row.quantity, unit=row.unit, unit_rate=row.unit_rate,
                    amount_cny=row.amount_cny, record_ids=list(row.record_ids), intervals=list(row.intervals),
                    basis_us=row.basis_us, note=row.note, credited_cny=view.credited_on(row.id),
                    open_dispute_id=None if dispute is None else dispute.id,
                )
            )  # fmt: skip
        groups.append(
            BookingLinesRead(
                booking_id=group.booking_id, listing_id=group.listing_id, listing_title=group.listing_title,
                start_at=group.start_at, end_at=group.end_at, subtotal_cny=group.subtotal, lines=lines,
            )
        )  # fmt: skip
    return InvoiceDetail(
        **summary_of(actor, invoice, names).model_dump(), record_ids=list(invoice.record_ids), bookings=groups,
        disputes=[DisputeRead.model_validate(d) for d in view.disputes],
        credit_notes=[CreditNoteRead.model_validate(n) for n in view.credit_notes],
        tariffs=[TariffVersionRead.model_validate(t) for t in view.tariffs],
        credited_cny=view.credited, balance_cny=view.balance,
    )  # fmt: skip


def recomputation_of(session: Session, invoice: InvoiceRow) -> RecomputationRead:
    result = invoices.recompute(session, invoice)
    lines = [
        RecomputedLine(
            booking_id=booking_id, kind=line.kind.value, tariff_version=line.tariff_version, component=line.component,
            quantity=str(line.quantity), unit=line.unit, unit_rate=str(line.unit_rate), amount_cny=line.amount,
        )
        for booking_id, line in result.lines
    ]  # fmt: skip
    return RecomputationRead(
        invoice_id=invoice.id, number=invoice.number, matches=result.matches, problems=list(result.problems),
        issued_total_cny=invoice.total_cny, recomputed_total_cny=result.total, lines=lines,
    )  # fmt: skip


def zone_of(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


def telemetry_store(request: Request) -> TelemetryStore:
    store: TelemetryStore = request.app.state.telemetry_store
    return store


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/invoices")
def list_all(
    principal: Reader, session: SessionDep, side: Side | None = None, period: TextQuery = None, offset: Offset = 0,
    limit: Limit = 50,
) -> InvoicePage:  # fmt: skip
    """``side=owner``: invoices I issued; ``side=lessee``: invoices issued to me; ``period=YYYY-MM``."""
    rows, total = list_invoices(session, principal, side=side, period=period or None, offset=offset, limit=limit)
    names = organisation_names(session, {org for row in rows for org in (row.owner_id, row.lessee_id)})
    items = [summary_of(principal, row, names) for row in rows]
    return InvoicePage(total=total, offset=offset, limit=limit, items=items)


@router.post("/invoices", status_code=status.HTTP_201_CREATED)
def issue(
    data: InvoiceCreate, request: Request, principal: Party, session: SessionDep, database: DatabaseDep,
    settings: SettingsDep,
) -> InvoiceDetail:  # fmt: skip
    """The owner's invoice of a month that is over to one lessee: the owner's meters run first, then every meter
    record of that month for that lessee is priced. 422 naming ``body.period`` (not YYYY-MM, not over, nothing
    metered) or ``body.lessee_id`` (no bookings); 409 when it is issued already or machine data is still missing."""
    owner_id = owner_of(principal, data.owner_id)
    zone = ZoneInfo(settings.timezone)
    invoice = issue_with_metering(
        database, telemetry_store(request), principal, owner_id, data.lessee_id, data.period, datetime.now(UTC), zone
    )
    return detail_of(principal, invoice_view(session, invoices.get_invoice(session, principal, invoice.id)))


# The documents first: ``/invoices/5.pdf`` must not reach ``/invoices/{invoice_id}`` as the id "5.pdf".
@router.get("/invoices/{invoice_id}.pdf", response_class=Response, responses={200: {"content": {PDF_MEDIA_TYPE: {}}}})
def invoice_pdf(invoice_id: IdPath, request: Request, principal: Reader, session: SessionDep) -> Response:
    """The invoice as a PDF (Chinese): lines by booking with meter intervals and record ids, how to recompute."""
    invoice = invoices.get_invoice(session, principal, invoice_id)
    content = render_pdf(invoice_view(session, invoice), zone_of(request))
    return _download(content, PDF_MEDIA_TYPE, f"{invoice.number}.pdf")


@router.get("/invoices/{invoice_id}.xlsx", response_class=Response, responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}})
def invoice_xlsx(invoice_id: IdPath, request: Request, principal: Reader, session: SessionDep) -> Response:
    """The invoice as an Excel workbook: its lines, the meter records it covers, the tariff versions."""
    invoice = invoices.get_invoice(session, principal, invoice_id)
    content = render_xlsx(invoice_view(session, invoice), covered_records(session, invoice), zone_of(request))
    return _download(content, XLSX_MEDIA_TYPE, f"{invoice.number}.xlsx")


@router.get("/invoices/{invoice_id}")
def read(invoice_id: IdPath, principal: Reader, session: SessionDep) -> InvoiceDetail:
    """Lines grouped by booking, with their meter intervals and records; disputes; credit notes; tariffs."""
    return detail_of(principal, invoice_view(session, invoices.get_invoice(session, principal, invoice_id)))


@router.get("/invoices/{invoice_id}/recompute")
def recompute(invoice_id: IdPath, principal: Reader, session: SessionDep) -> RecomputationRead:
    """Verify the owner's meter log up to the invoice's head and re-price its records, line by line."""
    return recomputation_of(session, invoices.get_invoice(session, principal, invoice_id))


@router.post("/invoices/{invoice_id}/disputes", status_code=status.HTTP_201_CREATED)
def raise_dispute(invoice_id: IdPath, data: DisputeCreate, principal: Party, session: SessionDep) -> DisputeRead:
    """The lessee objects to one line (``line_id``) with a reason; 403 for the owner, 409 if it is open already."""
    dispute = disputes.raise_dispute(session, principal, invoice_id, data.line_id, data.reason, datetime.now(UTC))
    return DisputeRead.model_validate(dispute)


@router.post("/disputes/{dispute_id}/answer")
def answer_dispute(dispute_id: IdPath, data: DisputeAnswer, principal: Party, session: SessionDep) -> DisputeRead:
    """The owner accepts (with ``credit`` CNY: a credit note, at most what the line still charges) or rejects
    (with no credit) — ``answer`` explains either to the lessee."""
    dispute = disputes.answer_dispute(
        session, principal, dispute_id, accept=data.accept, answer=data.answer, credit=data.credit,
        now=datetime.now(UTC),
    )  # fmt: skip
    return DisputeRead.model_validate(dispute)
