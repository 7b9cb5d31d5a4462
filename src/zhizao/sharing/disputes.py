"""Disputes: the lessee flags an invoice line with a reason, the owner answers — rejecting it with an explanation, or
accepting it with a credit note of at most what the line (less earlier credits on it) charged. The invoice itself is
never changed: its status says whether disputes are open, and its credit notes say what was given back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied
from zhizao.sharing.billing_models import (
    CreditNoteRow,
    DisputeRow,
    DisputeStatus,
    InvoiceLineRow,
    InvoiceRow,
    InvoiceStatus,
)
from zhizao.sharing.catalogue import OWNER_ROLES, require_owner_role
from zhizao.sharing.invoices import get_invoice

__all__ = ["answer_dispute", "credit_notes", "credited", "disputes_of", "raise_dispute"]


def disputes_of(session: Session, invoice_id: int) -> Sequence[DisputeRow]:
    return session.scalars(select(DisputeRow).where(DisputeRow.invoice_id == invoice_id).order_by(DisputeRow.id)).all()


def credit_notes(session: Session, invoice_id: int) -> Sequence[CreditNoteRow]:
    return session.scalars(
        select(CreditNoteRow).where(CreditNoteRow.invoice_id == invoice_id).order_by(CreditNoteRow.id)
    ).all()


def credited(session: Session, line_id: int) -> Decimal:
    """What accepted disputes of one line gave back so far."""
    amount = session.scalar(
        select(func.coalesce(func.sum(DisputeRow.credit_cny), 0)).where(
            DisputeRow.line_id == line_id, DisputeRow.status == DisputeStatus.ACCEPTED
        )
    )
    return Decimal(amount or 0).quantize(Decimal("0.01"))


def raise_dispute(
    session: Session, actor: Principal, invoice_id: int, line_id: int, reason: str, now: datetime
) -> DisputeRow:
    if actor.role not in OWNER_ROLES:  # enterprise staff (and administrators) act for either party of a lease
        raise PermissionDenied(f"role {actor.role.value} may not dispute an invoice")
    if not reason.strip():
        raise InputError.for_field("body.reason", "say what is wrong with the line")
    with session.begin():
        invoice = get_invoice(session, actor, invoice_id)
        if not actor.may_access_tenant(invoice.lessee_id):
            raise PermissionDenied("only the lessee disputes an invoice line")
        line = session.get(InvoiceLineRow, line_id)
        if line is None or line.invoice_id != invoice.id:
            raise InputError.for_field("body.line_id", f"line {line_id} is not a line of invoice {invoice.number}")
        if session.scalar(
            select(DisputeRow.id).where(DisputeRow.line_id == line_id, DisputeRow.status == DisputeStatus.OPEN)
        ):
            raise Conflict("this line is disputed already; wait for the owner's answer")
        dispute = DisputeRow(
            invoice_id=invoice.id, line_id=line_id, owner_id=invoice.owner_id, lessee_id=invoice.lessee_id,
            reason=reason.strip(), raised_by=actor.user_id, raised_at=now,
        )  # fmt: skip
        session.add(dispute)
        invoice.status = InvoiceStatus.DISPUTED
        session.flush()
        audit.record(
            session, actor, action="share_dispute.raise", entity_type="share_dispute", entity_id=dispute.id,
            organisation_id=invoice.lessee_id,
            after={"invoice": invoice.number, "line_id": line_id, "reason": dispute.reason},
        )  # fmt: skip
    return dispute


def _credit_number(session: Session, invoice: InvoiceRow) -> str:
    count = session.scalar(
        select(func.count()).select_from(CreditNoteRow).where(CreditNoteRow.invoice_id == invoice.id)
    )
    return f"{invoice.number}-C{(count or 0) + 1:02d}"


def answer_dispute(
    session: Session,
    actor: Principal,
    dispute_id: int,
    *,
    accept: bool,
    answer: str,
    credit: Decimal | None,
    now: datetime,
) -> DisputeRow:
    """The owner's answer; accepting issues a credit note of ``credit`` CNY."""
    require_owner_role(actor)
    credit = None if credit is None else credit.quantize(Decimal("0.01"))
    if not answer.strip():
        raise InputError.for_field("body.answer", "explain the answer to the lessee")
    if accept and (credit is None or credit <= 0):
        raise InputError.for_field("body.credit", "an accepted dispute credits a positive amount")
    if not accept and credit is not None:
        raise InputError.for_field("body.credit", "a rejected dispute credits nothing")
    with session.begin():
        dispute = session.get(DisputeRow, dispute_id)
        if dispute is None or not (
            actor.may_access_tenant(dispute.owner_id) or actor.may_access_tenant(dispute.lessee_id)
        ):
            raise NotFound(f"dispute {dispute_id} not found")
        if not actor.may_access_tenant(dispute.owner_id):
            raise PermissionDenied("only the owner answers a dispute")
        if dispute.status is not DisputeStatus.OPEN:
            raise Conflict(f"the dispute is {dispute.status.value} already")
        invoice = session.get(InvoiceRow, dispute.invoice_id)
        line = session.get(InvoiceLineRow, dispute.line_id)
        assert invoice is not None and line is not None
        if accept:
            assert credit is not None
            room = Decimal(line.amount_cny) - credited(session, line.id)
            if credit > room:
                raise InputError.for_field("body.credit", f"at most {room} CNY can still be credited on this line")
            session.add(
                CreditNoteRow(
                    number=_credit_number(session, invoice), invoice_id=invoice.id, dispute_id=dispute.id,
                    owner_id=invoice.owner_id, lessee_id=invoice.lessee_id, amount_cny=credit, reason=answer.strip(),
                    issued_by=actor.user_id, issued_at=now,
                )
            )  # fmt: skip
        dispute.status = DisputeStatus.ACCEPTED if accept else DisputeStatus.REJECTED
        dispute.answer, dispute.credit_cny = answer.strip(), credit if accept else None
        dispute.answered_by, dispute.answered_at = actor.user_id, now
        session.flush()
        still_open = session.scalar(
            select(func.count()).where(DisputeRow.invoice_id == invoice.id, DisputeRow.status == DisputeStatus.OPEN)
        )
        invoice.status = InvoiceStatus.DISPUTED if still_open else InvoiceStatus.SETTLED
        audit.record(
            session, actor, action=f"share_dispute.{'accept' if accept else 'reject'}", entity_type="share_dispute",
            entity_id=dispute.id, organisation_id=invoice.owner_id,
            after={"invoice": invoice.number, "credit": str(credit) if accept else None, "answer": dispute.answer},
        )  # fmt: skip
    return dispute
