"""Pages of the programme's directory area: the public integrator directory and platform list (no login), the
officers' review queue with each application's criteria check, an integrator's own application, integrators matched
to a factory's gaps, and the platforms an operator (or the programme office) manages.

Forms post to page routes with the API's role guards and call the same services; what a service refuses is shown
on the page (422) with the field it names, and another tenant's row is a 404 as in the API.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, optional_principal
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.assessment.model import load_model
from zhizao.errors import Conflict, FieldProblem
from zhizao.fields import IdPath
from zhizao.programme import directory, service_directory, service_matching, service_platforms
from zhizao.programme.deps import (
    ENTRY_READERS,
    INTEGRATOR_APPLICANTS,
    PLATFORM_MANAGERS,
    EntryReader,
    IntegratorApplicant,
    MatchReader,
    Overseer,
    PlatformManager,
)
from zhizao.programme.directory import IntegratorStatus, RevenueBand
from zhizao.programme.kinds import Industry
from zhizao.programme.page_forms import PostedForm, form_page, submit, text, texts
from zhizao.programme.schemas_directory import (
    IntegratorApplication,
    IntegratorRead,
    IntegratorReview,
    PlatformClientCreate,
    PlatformCreate,
    PlatformRead,
    PlatformUpdate,
)
from zhizao.ui.i18n import N_, current_locale
from zhizao.ui.nav import NavItem

router = APIRouter(include_in_schema=False)

INTEGRATORS, PLATFORMS, MATCHES = "/programme/integrators", "/programme/platforms", "/programme/directory/matches"
NAV = (
    NavItem(N_("Integrator directory"), INTEGRATORS, roles=frozenset(ENTRY_READERS), order=640),
    NavItem(N_("Platforms"), PLATFORMS, roles=frozenset(PLATFORM_MANAGERS), order=650),
)
# Public pages take the caller when signed in, so that the layout shows their navigation; anonymous is fine.
Visitor = Annotated[Principal | None, Depends(optional_principal)]
E = TypeVar("E", bound=StrEnum)
LABELS = {
    "industries": list(Industry),
    "bands": list(RevenueBand),
    "statuses": list(IntegratorStatus),
    "status_labels": directory.INTEGRATOR_STATUS_LABELS,
    "band_labels": directory.REVENUE_BAND_LABELS,
    "decision_labels": directory.REVIEW_DECISION_LABELS,
    "criterion_labels": directory.CRITERION_LABELS,
}


def _choice(kind: type[E], value: str | None) -> E | None:
    """A filter from a query string; an unknown value filters nothing rather than failing the page."""
    return next((member for member in kind if member.value == value), None)


def _page(request: Request, template: str, context: dict[str, Any], problems: list[FieldProblem]) -> Response:
    return form_page(request, template, {**LABELS, **context}, problems)


# --- public --------------------------------------------------------------------------------------------------


@router.get("/directory")
def public_directory(
    request: Request,
    session: SessionDep,
    visitor: Visitor,
    q: str = "",
    industry: str = "",
    capability: str = "",
    min_band: str = "",
) -> Response:
    keys = load_model().capability_keys
    chosen_industry, chosen_band = _choice(Industry, industry), _choice(RevenueBand, min_band)
    text, wanted = q.strip()[:64].replace("\x00", "") or None, capability if capability in keys else None
    entries = service_directory.public_directory(
        session, q=text, industry=chosen_industry, capability=wanted, min_band=chosen_band
    )
    filters = {"q": text, "industry": chosen_industry, "capability": wanted, "min_band": chosen_band}
    context = {"entries": entries, "filters": filters, "capability_keys": keys}
    return _page(request, "programme/directory_public.html", context, [])


@router.get("/directory/platforms")
def public_platforms(request: Request, session: SessionDep, visitor: Visitor, industry: str = "") -> Response:
    chosen = _choice(Industry, industry)
    context = {"platforms": service_platforms.public_platforms(session, chosen), "industry": chosen}
    return _page(request, "programme/platforms_public.html", context, [])


# --- integrator directory ------------------------------------------------------------------------------------


@router.get(INTEGRATORS)
def review_queue(request: Request, principal: EntryReader, session: SessionDep, status: str = "") -> Response:
    """The review queue for the programme office; an integrator goes to its own application."""
    if principal.role == Role.INTEGRATOR:
        return RedirectResponse(f"{INTEGRATORS}/{principal.organisation_id}", status_code=303)
    chosen = _choice(IntegratorStatus, status)
    context = {"entries": service_directory.list_entries(session, chosen), "status": chosen}
    return _page(request, "programme/directory_queue.html", context, [])


def _values(entry: IntegratorRead | None) -> dict[str, Any]:
    """What the application form shows: the stored entry, or blanks for a first application."""
    if entry is None:
        return {"industries": [], "capabilities": [], "revenues": []}
    return {
        **entry.model_dump(include={"description", "website", "contact_name", "contact_phone", "contact_email"}),
        "industries": [industry.value for industry in entry.industries],
        "capabilities": entry.capabilities,
        "revenues": [(str(row.year), str(row.revenue_cny)) for row in entry.revenues],
    }


def _entry_view(
    request: Request,
    session: Session,
    principal: Principal,
    integrator_id: int,
    problems: list[FieldProblem],
    values: dict[str, Any] | None = None,
) -> Response:
    session.rollback()
    entry = service_directory.find_entry(session, principal, integrator_id)
    organisation = session.get(Organisation, integrator_id)
    context = {
        "integrator_id": integrator_id,
        "name": organisation.name if organisation else "",
        "entry": entry,
        "values": values or _values(entry),
        "capability_keys": load_model().capability_keys,
        "can_apply": principal.role in INTEGRATOR_APPLICANTS,
        "can_review": principal.sees_all_tenants,
    }
    return _page(request, "programme/directory_entry.html", context, problems)


@router.get(INTEGRATORS + "/{integrator_id}")
def entry_page(request: Request, integrator_id: IdPath, principal: EntryReader, session: SessionDep) -> Response:
    return _entry_view(request, session, principal, integrator_id, [])


@router.post(INTEGRATORS + "/{integrator_id}")
def apply(
    request: Request, integrator_id: IdPath, principal: IntegratorApplicant, session: SessionDep, form: PostedForm
) -> Response:
    revenues = [
        {"year": year, "revenue_cny": amount}
        for year, amount in zip(texts(form, "revenue_year"), texts(form, "revenue_cny"), strict=False)
        if year or amount
    ]
    fields = {
        name: text(form, name) for name in ("description", "website", "contact_name", "contact_phone", "contact_email")
    }
    lists = {"industries": texts(form, "industries"), "capabilities": texts(form, "capabilities")}

    def run() -> object:
        data = IntegratorApplication.model_validate(
            {**{k: v for k, v in fields.items() if v is not None}, **lists, "revenues": revenues}
        )
        return service_directory.put_application(session, principal, integrator_id, data)

    values = {**fields, **lists, "revenues": [(row["year"], row["revenue_cny"]) for row in revenues]}
    view = lambda problems: _entry_view(request, session, principal, integrator_id, problems, values)  # noqa: E731
    return submit(session, run, f"{INTEGRATORS}/{integrator_id}", view)


@router.post(INTEGRATORS + "/{integrator_id}/review")
def review(
    request: Request, integrator_id: IdPath, principal: Overseer, session: SessionDep, form: PostedForm
) -> Response:
    def run() -> object:
        data = IntegratorReview.model_validate({"decision": text(form, "decision"), "note": text(form, "note")})
        return service_directory.review(session, principal, integrator_id, data)

    view = lambda problems: _entry_view(request, session, principal, integrator_id, problems)  # noqa: E731
    return submit(session, run, f"{INTEGRATORS}/{integrator_id}", view)


@router.get(MATCHES + "/{enterprise_id}")
def matches_page(request: Request, enterprise_id: IdPath, principal: MatchReader, session: SessionDep) -> Response:
    try:
        found, notice = service_matching.integrator_matches(session, principal, enterprise_id), None
    except Conflict as exc:  # no closed diagnosis yet: the page says so
        found, notice = None, exc.message
    organisation = session.get(Organisation, enterprise_id)
    language = "zh" if current_locale() == "zh_CN" else "en"
    subdomains = {sub.key: getattr(sub.name, language) for sub in load_model().subdomains}
    context = {
        "enterprise_name": organisation.name if organisation else "",
        "found": found,
        "notice": notice,
        "subdomains": subdomains,
    }
    return _page(request, "programme/directory_matches.html", context, [])


# --- platforms -----------------------------------------------------------------------------------------------


def _services(text: str | None) -> list[dict[str, str | None]]:
    """One service a line, its name and description split at the first colon (":" or "：")."""
    services = []
    for line in (text or "").splitlines():
        name, _, description = line.replace("：", ":").partition(":")
        if name.strip() or description.strip():
            services.append({"name": name.strip(), "description": description.strip() or None})
    return services


def _platform_fields(form: FormData, *, blanks: bool) -> dict[str, Any]:
    """The platform form's fields; a blank one is left out (``blanks`` false: the schema's default applies) or
    sent empty for the schema to name (an update; a blank address removes it)."""
    fields: dict[str, Any] = {"services": _services(text(form, "services"))}
    for name in ("name", "industry", "description", "url", "enterprises_served", "served_as_of", "sharing_owner_id"):
        value = text(form, name)
        if value is not None or blanks:  # a blank address or sharing owner removes it
            fields[name] = value if value is not None or name in ("url", "sharing_owner_id") else ""
    return fields


def _platforms_view(request: Request, session: Session, principal: Principal, problems: list[FieldProblem]) -> Response:
    operators = (
        session.execute(
            select(Organisation.id, Organisation.name)
            .where(Organisation.kind == OrganisationKind.PLATFORM)
            .order_by(Organisation.name)
        ).all()
        if principal.sees_all_tenants
        else []
    )
    context = {"platforms": service_platforms.list_platforms(session, principal), "operators": operators}
    return _page(request, "programme/platforms_list.html", context, problems)


@router.get(PLATFORMS)
def platforms_page(request: Request, principal: PlatformManager, session: SessionDep) -> Response:
    return _platforms_view(request, session, principal, [])


@router.post(PLATFORMS)
def create_platform(request: Request, principal: PlatformManager, session: SessionDep, form: PostedForm) -> Response:
    operator = text(form, "operator_id")
    fields = {**_platform_fields(form, blanks=False), **({"operator_id": operator} if operator else {})}

    def run() -> PlatformRead:
        return service_platforms.create_platform(session, principal, PlatformCreate.model_validate(fields))

    view = lambda problems: _platforms_view(request, session, principal, problems)  # noqa: E731
    return submit(session, run, lambda created: f"{PLATFORMS}/{created.id}", view)


def _platform_view(
    request: Request, session: Session, principal: Principal, platform_id: int, problems: list[FieldProblem]
) -> Response:
    session.rollback()
    platform = service_platforms.read_platform(session, principal, platform_id)
    services = "\n".join(f"{item.name}: {item.description or ''}".rstrip(": ") for item in platform.services)
    context = {
        "platform": platform,
        "services_text": services,
        "clients": service_platforms.list_clients(session, principal, platform_id),
    }
    return _page(request, "programme/platforms_detail.html", context, problems)


@router.get(PLATFORMS + "/{platform_id}")
def platform_page(request: Request, platform_id: IdPath, principal: PlatformManager, session: SessionDep) -> Response:
    return _platform_view(request, session, principal, platform_id, [])


def _on_platform(
    request: Request, session: Session, principal: Principal, platform_id: int, action: Callable[[], object]
) -> Response:
    view = lambda problems: _platform_view(request, session, principal, platform_id, problems)  # noqa: E731
    return submit(session, action, f"{PLATFORMS}/{platform_id}", view)


@router.post(PLATFORMS + "/{platform_id}")
def update_platform(
    request: Request, platform_id: IdPath, principal: PlatformManager, session: SessionDep, form: PostedForm
) -> Response:
    fields = _platform_fields(form, blanks=True)

    def run() -> object:
        return service_platforms.update_platform(session, principal, platform_id, PlatformUpdate.model_validate(fields))

    return _on_platform(request, session, principal, platform_id, run)


@router.post(PLATFORMS + "/{platform_id}/delete")
def delete_platform(platform_id: IdPath, principal: PlatformManager, session: SessionDep) -> Response:
    session.rollback()
    service_platforms.delete_platform(session, principal, platform_id)
    return RedirectResponse(PLATFORMS, status_code=303)


@router.post(PLATFORMS + "/{platform_id}/clients")
def link_client(
    request: Request, platform_id: IdPath, principal: PlatformManager, session: SessionDep, form: PostedForm
) -> Response:
    def run() -> object:
        data = PlatformClientCreate.model_validate({"credit_code": text(form, "credit_code") or ""})
        return service_platforms.link_client(session, principal, platform_id, data)

    return _on_platform(request, session, principal, platform_id, run)


@router.post(PLATFORMS + "/{platform_id}/clients/{enterprise_id}/remove")
def unlink_client(
    platform_id: IdPath, enterprise_id: IdPath, principal: PlatformManager, session: SessionDep
) -> Response:
    session.rollback()
    service_platforms.unlink_client(session, principal, platform_id, enterprise_id)
    return RedirectResponse(f"{PLATFORMS}/{platform_id}", status_code=303)
