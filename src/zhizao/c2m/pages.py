"""Consumer pages of C2M: the released models (public), the configurator of one (public; ordering needs a consumer
login), "my orders" and an order's page with its timeline, which follows production live (server-sent events).

The configurator is a plain form — each family a group of radio buttons or checkboxes — so it works without
JavaScript (the "update" button posts it); with htmx, a change posts it at once and swaps the configurator in place.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response, StreamingResponse

from zhizao.accounts.deps import CurrentUser, DatabaseDep, SessionDep, optional_principal, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.c2m import orders, versions
from zhizao.c2m.configuring import configurator_view
from zhizao.c2m.definitions import model_of
from zhizao.c2m.models import ConsumerOrder, OrderStatus, ProductModelRow
from zhizao.c2m.product.configurator import configurator_for
from zhizao.c2m.product.model import MODEL_CODE_PATTERN, ProductModel
from zhizao.c2m.regions import REGION_LABELS, Region
from zhizao.c2m.summaries import chosen_names, listing
from zhizao.c2m.timeline import STATUS_LABELS, timeline
from zhizao.db.engine import Database
from zhizao.errors import FieldProblem, InputError, NotFound
from zhizao.fields import NoNul
from zhizao.ui import i18n
from zhizao.ui.forms import attempt
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import UI, render

router = APIRouter(include_in_schema=False)
BASE = "/c2m"
NAV = (
    NavItem(N_("Customise a vehicle"), BASE, roles=frozenset({Role.CONSUMER.value}), order=280),
    NavItem(N_("My orders"), BASE + "/orders", roles=frozenset({Role.CONSUMER.value}), order=281),
)
Visitor = Annotated[Principal | None, Depends(optional_principal)]
# Administrators reach the consumer pages too (they see every order; only consumers place orders).
Buyer = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.CONSUMER))]
FormText = Annotated[str | None, Form(max_length=100), NoNul]
NUMBER_PATTERN = re.compile(r"C2M-\d{8}-\d{6,12}")
PICK_PREFIX = "pick."
FINAL = frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED})
LIVE_INTERVAL_S = 2.0
LIVE_MAX_S = 3600  # a stream ends after an hour; the browser's EventSource reconnects on its own
DEFAULT_REGION = Region.SHANGHAI


def money(value: Decimal) -> str:
    return f"¥{value:,.2f}"


def released(session: Session, code: str) -> tuple[ProductModelRow, ProductModel]:
    if not re.fullmatch(MODEL_CODE_PATTERN, code):
        raise NotFound(f"no released product model {code[:64]!r}")
    return versions.orderable(session, code, field="path.model_code")


def order_by_number(session: Session, principal: Principal, number: str) -> ConsumerOrder:
    if not NUMBER_PATTERN.fullmatch(number):
        raise NotFound(f"order {number[:40]!r} not found")
    return orders.get_order_by_number(session, principal, number)


def labels() -> dict[str, Any]:
    return {"money": money, "status_labels": STATUS_LABELS, "region_labels": REGION_LABELS}


@router.get(BASE)
def models_page(request: Request, session: SessionDep, visitor: Visitor) -> Response:
    models = [listing(row) for row in versions.released_models(session)]
    return render(request, "c2m/models.html", {"models": models, **labels()})


def configure_page(
    request: Request, visitor: Principal | None, model: ProductModel, chosen: list[str], *,
    problems: list[FieldProblem] | None = None, region: str = DEFAULT_REGION.value, notice: str | None = None,
) -> Response:  # fmt: skip
    view, found = attempt(lambda: configurator_view(model, chosen))
    if view is None:  # an unknown option code was posted: start again from nothing, saying so
        view = configurator_view(model, [])
    problems = [*(problems or []), *found]
    context = {
        "view": view, "problems": problems, "region": region, "regions": list(Region), "notice": notice,
        "can_order": visitor is not None and visitor.role == Role.CONSUMER, **labels(),
    }  # fmt: skip
    return render(request, "c2m/configure.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/models/{model_code}")
def configure(request: Request, model_code: str, session: SessionDep, visitor: Visitor) -> Response:
    _row, model = released(session, model_code)
    return configure_page(request, visitor, model, [])


@router.post(BASE + "/models/{model_code}")
async def configure_post(request: Request, model_code: str, session: SessionDep, visitor: Visitor) -> Response:
    """``intent``: ``step`` (the default: re-render after a change), ``complete`` (cheapest completion), ``reset``."""
    async with request.form() as form:
        picks = [value for key, value in form.multi_items() if key.startswith(PICK_PREFIX) and isinstance(value, str)]
        intent, version = str(form.get("intent") or "step"), str(form.get("version") or "")
    chosen = [code for code in picks if code][:1000]
    return await run_in_threadpool(_configure_post, request, model_code, session, visitor, chosen, intent, version)


def _configure_post(
    request: Request, model_code: str, session: Session, visitor: Principal | None, chosen: list[str], intent: str,
    version: str,
) -> Response:  # fmt: skip
    _row, model = released(session, model_code)
    notice = None
    if version != str(model.version):  # a newer version was released meanwhile: keep what it still offers
        chosen = [code for code in chosen if code in model.options]
        notice = i18n.gettext("A new version of this model was released; please check your choices again.")
    if intent == "reset":
        chosen = []
    elif intent == "complete":
        done, problems = attempt(lambda: configurator_for(model).complete(chosen))
        if done is None:
            return configure_page(request, visitor, model, chosen, problems=problems, notice=notice)
        chosen = list(done.chosen)
    return configure_page(request, visitor, model, chosen, notice=notice)


@router.post(BASE + "/orders")
def order_post(
    request: Request, principal: Buyer, session: SessionDep, model_code: FormText = None, version: FormText = None,
    chosen: Annotated[list[str] | None, Form(max_length=1000)] = None, region: FormText = None,
) -> Response:  # fmt: skip
    """Place the order shown by the configurator; a refusal re-renders it with the reasons."""
    codes = [code[:64] for code in chosen or [] if code]

    def place() -> ConsumerOrder:
        known_region = next((member for member in Region if member.value == region), None)
        if known_region is None:
            raise InputError.for_field("body.region", f"unknown region {str(region)[:40]!r}")
        number = version.strip() if version else ""
        if not (number.isascii() and number.isdigit()) or not 0 < int(number) <= 1_000_000:
            raise InputError.for_field("body.version", "the model version is missing")
        request_data = orders.OrderRequest(model_code or "", int(number), codes, known_region)
        return orders.place_order(session, principal, request_data)

    order, problems = attempt(place)
    if order is not None:
        return RedirectResponse(f"{BASE}/orders/{order.number}", status_code=303)
    session.rollback()
    _row, model = released(session, model_code or "")
    return configure_page(request, principal, model, codes, problems=problems, region=region or DEFAULT_REGION.value)


@router.get(BASE + "/orders")
def my_orders(request: Request, principal: Buyer, session: SessionDep) -> Response:
    rows, total = orders.list_orders(session, principal, orders.OrderFilter(), limit=200)
    return render(request, "c2m/my_orders.html", {"orders": rows, "total": total, **labels()})


def timeline_context(session: Session, order: ConsumerOrder) -> dict[str, Any]:
    steps = timeline(order.status, order.station, order.created_at, orders.events(session, order.id))
    return {"order": order, "steps": steps, "final": order.status in FINAL, **labels()}


@router.get(BASE + "/orders/{order_number}")
def order_page(request: Request, order_number: str, principal: CurrentUser, session: SessionDep) -> Response:
    """The order's timeline (live), its configuration and price."""
    order = order_by_number(session, principal, order_number)
    row = session.get(ProductModelRow, order.model_id)
    assert row is not None
    model = model_of(row)
    context = {"model": model, "model_name": model.name.zh if i18n.current_locale() == "zh_CN" else model.name.en,
               "configuration": chosen_names(model, order.chosen), **timeline_context(session, order)}  # fmt: skip
    return render(request, "c2m/order.html", context)


@router.get(BASE + "/orders/{order_number}/live")
def order_live(
    request: Request, order_number: str, principal: CurrentUser, session: SessionDep, database: DatabaseDep
) -> Response:
    """Server-sent events: the timeline section (HTML, event ``timeline``) whenever the order moves on."""
    order = order_by_number(session, principal, order_number)
    ui: UI = request.app.state.ui
    stream = _timeline_events(database, ui, order.id, i18n.current_locale(), request)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


async def _timeline_events(
    database: Database, ui: UI, order_id: int, locale: str, request: Request
) -> AsyncIterator[str]:
    shown: str | None = None
    for _ in range(max(1, int(LIVE_MAX_S / LIVE_INTERVAL_S))):
        if await request.is_disconnected():
            return
        html = await asyncio.to_thread(_timeline_html, database, ui, order_id, locale)
        if html != shown:  # the first time, and whenever the order moved on
            shown = html
            yield "event: timeline\n" + "".join(f"data: {line}\n" for line in html.splitlines()) + "\n"
        await asyncio.sleep(LIVE_INTERVAL_S)


def _timeline_html(database: Database, ui: UI, order_id: int, locale: str) -> str:
    """The timeline section as the order page renders it, read in a session of its own (the request's has ended)."""
    i18n.set_locale(locale)
    with database.sessions() as session:
        order = session.get(ConsumerOrder, order_id)
        if order is None:
            return ""
        return ui.templates.env.get_template("c2m/_timeline.html").render(**timeline_context(session, order))
