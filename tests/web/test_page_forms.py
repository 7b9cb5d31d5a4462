"""Walks every HTML page route of the app with hostile input: whatever comes in, no page answers 5xx.

The JSON API is walked by Schemathesis (``test_schemathesis.py``); the pages (``include_in_schema=False``) are
not in its schema, so they are walked here. The routes are read from the app itself (routers included into
routers too), so a page added later is walked without registering it. Each route is called as a signed-in
administrator (as an assigned expert for the few routes only experts may call) with:

- path parameters too large for any database integer, non-ASCII digits (``²``, which ``str.isdigit`` accepts
  and ``int`` refuses), zero and a negative number, one parameter at a time, the others existing;
- for GET pages: the existing path with query strings of hostile values, each parameter the route declares or
  a page's GET form sends on its own, and every such parameter with a fixed set of common ones all at once;
- for POST forms: the form as a page of the app rendered it (its field names and values; also as htmx sends
  it), then each of its fields in turn given a hostile value (a date field far-off dates too), then every field
  name any page uses at once given each hostile value (so that a handler that reads ``request.form()`` itself is
  covered whatever names it reads), repeated fields, bytes that are not UTF-8, field names with hostile ids
  (``rating:²``), and for a form with a file: files that are not what they claim, empty, or oddly named.

A second walk sends every form files it does not expect and checks that none is left open (FastAPI closes only
the forms it parses itself; a handler reading ``request.form()`` must close it).

The existing ids come from a small seeded world (an enterprise with a project in construction, the current
edition, a plant with a stop, a diagnosis in progress, an acceptance, a platform, a cohort with a trainee, a
connector, a raised alarm, consents, a remote maintenance session with a pending command, a work order, a
maintenance case, …) and from the links and form actions of the pages rendered from it, rendered as the
administrator, the expert, the enterprise's own user and a platform operator (some forms are shown only to
them; the walk still sends each form as the administrator). An answer below 500 passes: a 4xx, or a
redirect or re-rendered form that shows the problem. A failure names each input that crashed and the line of
``zhizao`` that raised.

Input parsing does not depend on the database backend, so this runs on SQLite only, on one app per module
whose world the walk changes as it goes (a form that succeeds has saved something, which is fine here).
"""

from __future__ import annotations

import gc
import re
import shutil
import traceback
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx2
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.routing import BaseRoute, Route

import zhizao
from tests.assessment.builders import admin as admin_principal
from tests.assessment.builders import enterprise as assessment_enterprise
from tests.assessment.builders import principal_of, running_diagnosis
from tests.c2m.builders import DEMO_CODE, build_shop
from tests.conftest import TEST_SECRET, Account, World, bearer
from tests.maintenance.health.tenant_cases import health_of_another_enterprise
from tests.production.builders import build_production
from tests.programme.builders import current_edition
from tests.programme.project_builders import built_project
from tests.programme.tenant_cases_acceptance import open_acceptance, verified_enterprise
from tests.programme.tenant_cases_community import cohort, posted_request
from tests.programme.tenant_cases_directory import applied_integrator, platform
from tests.sharing.billing_world import disputed_invoice
from tests.sharing.tenant_cases import at as offer_day
from tests.sharing.tenant_cases import build_offer
from tests.sharing.tenant_cases import request as request_booking
from tests.sharing.test_photos import image as sharing_photo
from tests.telemetry.builders import Plant, build_plant
from tests.vision.station_support import HeatModel
from tests.vision.station_tenant_cases import walk_ids as station_walk_ids
from tests.vision.tenant_cases_data import walk_ids as vision_walk_ids
from tests.web.routes import _role_requirement, collection_app
from tests.web.test_pages import _csrf, _sign_in
from zhizao.accounts import auth
from zhizao.accounts.roles import Role
from zhizao.accounts.schemas import ApiTokenCreate
from zhizao.c2m import pages as c2m_pages
from zhizao.connectors import service as connectors
from zhizao.connectors.drivers import default_drivers
from zhizao.connectors.schemas import ConnectorCreate
from zhizao.db.engine import create_database
from zhizao.maintenance.sessions import service as sessions
from zhizao.maintenance.sessions.schemas import SessionCreate
from zhizao.maintenance.workorders import service as workorders
from zhizao.maintenance.workorders.schemas import WorkOrderCreate
from zhizao.programme import service_parks, service_talent, service_workplan
from zhizao.programme.kinds import District, ProjectStage
from zhizao.programme.schemas_community import TraineeCreate, WorkTaskCreate
from zhizao.programme.schemas_enterprises import ParkCreate
from zhizao.settings import load_settings
from zhizao.telemetry import devices
from zhizao.telemetry import pages as telemetry_pages
from zhizao.telemetry.alarms import service as alarms
from zhizao.telemetry.alarms.evaluator import AlarmEvaluator
from zhizao.telemetry.commands import consent
from zhizao.telemetry.commands.models import ConsentScope
from zhizao.telemetry.commands.schemas import ConsentCreate
from zhizao.telemetry.kinds import Protocol
from zhizao.telemetry.schemas import SignalCreate
from zhizao.telemetry.store.base import Point
from zhizao.telemetry.timeutil import now_us
from zhizao.vision import inspection as vision_inspection
from zhizao.vision import pages_stations as vision_station_pages
from zhizao.web.app import create_app

HUGE = "99999999999999999999"  # past 2**64: OverflowError when bound on SQLite, out of range on PostgreSQL
LONG = "长" * 2_000
# Every field at once gets each of these.
FORM_VALUES = [
    HUGE, "²", "-1", "99999", "", "1e999999", "a\x00b", LONG, '=HYPERLINK("https://evil.example","x")',
    "9999-12-31", "0001-01-01",
]  # fmt: skip
# Each field of a rendered form in turn, the others as the page rendered them; a date field gets the dates too.
FIELD_VALUES = [HUGE, "²", "99999"]
DATE_VALUES = ["9999-12-31", "0001-01-01"]
# Each query parameter in turn (the others as a page's form sends them), and all of them at once.
QUERY_VALUES = [HUGE, "²", "-1", "99999", "9999-12-31", "\x00"]
# Sent with the route's own query parameters in the all-at-once variant.
COMMON_QUERY = [
    "edition_id", "enterprise_id", "project_id", "node_id", "equipment_id", "industry", "district", "stage",
    "status", "page", "offset", "limit", "year", "date", "start", "end", "q", "lang", "next",
]  # fmt: skip
# Path parameters, besides the existing value.
PATH_INT_VALUES = [HUGE, "²", "0", "-1"]
PATH_TEXT_VALUES = ["²", "%00", HUGE, "x" * 300]
# Ids hidden in field names (``rating:<item id>``, ``target.<industry>``).
NAME_ID_VALUES = ["²", HUGE, "-1", ""]
# Uploaded files: what is not a workbook, nothing, and names a disk or a database would choke on.
UPLOADS = [
    ("upload.xlsx", b"PK\x03\x04 this is not a workbook \x00\xff"),
    ("upload.xlsx", b""),
    ("../../../etc/passwd", b"%PDF-1.4 not really"),
    ("a\x00b.pdf", b"%PDF-1.4 not really"),
    ("长" * 300 + ".pdf", b"%PDF-1.4 not really"),
]

# FastAPI's own documentation routes are not pages; the Schemathesis walk reads the schema.
NOT_PAGES = {"/openapi.json", "/docs", "/docs/oauth2-redirect"}

# Crashes in pages whose owner is changing them; the fix is named in each reason. strict: fixing one fails here.
KNOWN_CRASHES: dict[tuple[str, str], str] = {}
# Forms that leave an unexpected upload open (none now); the fix is named in the reason. strict: fixing one fails.
KNOWN_LEAKS: dict[tuple[str, str], str] = {}
# Pages with path parameters that a seeded id does not open as the administrator (and why).
NOT_OPENED_AS_ADMIN = {
    "GET /lang/{locale}",  # switches the language and redirects back
    "GET /public/cases/{project_id}",  # only a recognised factory's published case; its 404 is walked all the same
    "GET /equipment/{equipment_id}/commands",  # administrators never command equipment (403): the owner decides
}


# --- the routes, read from the app ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    method: str
    path: str
    allowed_roles: frozenset[Role] | None  # None: any signed-in user, or public
    int_params: tuple[str, ...]  # path parameters that are integers (the others are text)
    query_names: tuple[str, ...]
    form_names: tuple[str, ...]  # declared Form() parameters
    file_names: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(\w+)}", self.path))

    def url(self, values: dict[str, str]) -> str:
        return re.sub(r"{(\w+)}", lambda match: values[match.group(1)], self.path)


def _routes(routes: Sequence[BaseRoute]) -> Iterator[Route]:
    for route in routes:
        if isinstance(route, Route):  # APIRoute is one too
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)


def _params(dependant: Dependant, kind: str) -> list[Any]:
    found = list(getattr(dependant, kind))
    for dependency in dependant.dependencies:
        found += _params(dependency, kind)
    return found


def _names(fields: list[Any]) -> tuple[str, ...]:
    """The names a request carries for these parameters; a parameter model stands for its fields."""
    names: list[str] = []
    for param in fields:
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += [info.alias or name for name, info in annotation.model_fields.items()]
        else:
            names.append(param.alias)
    return tuple(dict.fromkeys(names))


def _page(method: str, route: Route) -> Page:
    if not isinstance(route, APIRoute):
        return Page(method, route.path, None, (), (), (), ())
    dependant = route.dependant
    path_params = _params(dependant, "path_params")
    body = _params(dependant, "body_params")
    return Page(
        method=method,
        path=route.path,
        allowed_roles=_role_requirement(dependant),
        int_params=tuple(p.alias for p in path_params if p.field_info.annotation is int),
        query_names=_names(_params(dependant, "query_params")),
        form_names=_names([p for p in body if p.field_info.annotation is not UploadFile]),
        file_names=_names([p for p in body if p.field_info.annotation is UploadFile]),
    )


def page_routes() -> list[Page]:
    pages: dict[str, Page] = {}
    for route in _routes(collection_app().routes):
        if route.include_in_schema or route.path in NOT_PAGES:
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            page = _page(method, route)
            pages.setdefault(page.id, page)
    return list(pages.values())


PAGES = page_routes()


# --- what the rendered pages show: links, and forms with their fields -----------------------------------------


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # as the browser would send it, first value first
    names: list[str] = field(default_factory=list)  # every named control, checked or not


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        for key in ("href", "formaction", "hx-get", "hx-post"):
            if a.get(key):
                self.links.append(a[key])
        if tag == "form":
            action = a.get("hx-post") or a.get("action", "")
            self._form = Form("post" if "hx-post" in a else a.get("method", "get").lower(), action)
            self.forms.append(self._form)
            self.links.append(action)
            return
        form, name = self._form, a.get("name")
        if form is None:
            return
        if a.get("formaction"):  # a button that sends the same form elsewhere: the fields are shared
            self.forms.append(Form(a.get("formmethod", form.method).lower(), a["formaction"], form.fields, form.names))
        if tag == "option" and self._select is not None:
            if self._select_value is None or "selected" in a:
                self._select_value = a.get("value", "")
            return
        if not name:
            return
        form.names.append(name)
        if tag == "input" and a.get("type", "text") not in ("checkbox", "radio", "file", "submit"):
            form.fields.append((name, a.get("value", "")))
        elif tag == "input" and a.get("type") in ("checkbox", "radio") and "checked" in a:
            form.fields.append((name, a.get("value", "on")))
        elif tag == "button" or (tag == "input" and a.get("type") == "submit"):
            if not any(key == name for key, _ in form.fields):
                form.fields.append((name, a.get("value", "")))
        elif tag == "select":
            self._select, self._select_value = name, None
        elif tag == "textarea":
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            self._form.fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


PATTERNS = [(page, _pattern(page.path)) for page in PAGES]


def _match(method: str, link: str) -> tuple[Page, dict[str, str]] | None:
    """The route a link or form action of a page goes to, most literal first, with its path parameters."""
    path = unquote(urlsplit(link).path)
    found = [
        (page.path.count("{"), page, match.groupdict())
        for page, pattern in PATTERNS
        if page.method == method and (match := pattern.match(path))
    ]
    if not found:
        return None
    _, page, values = min(found, key=lambda item: item[0])
    return page, values


# Names the pages' templates use, static ones: sent all at once, so that a handler reading ``request.form()``
# itself gets hostile values whatever names it reads.
TEMPLATE_NAMES = sorted(
    {
        name
        for template in Path(zhizao.__file__).parent.rglob("*.html")
        for name in re.findall(r'name="([\w:.\-]+)"', template.read_text(encoding="utf-8"))
    }
    - {"csrf_token", "viewport", "csrf-token"}
)


# --- the walk: one app, a small world, the pages it renders ----------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    """The seeded world: existing values by path (and query) parameter name, and the callers besides the
    administrator whose pages show forms no administrator is shown."""

    seeds: dict[str, str]
    expert: Account  # assigned to the diagnosis and the acceptance
    owner: Account  # a user of the seeded enterprise: its consents, the end of a session on its equipment
    operator: Account  # a platform operator's user with both consents, who holds the seeded session


@dataclass
class Walk:
    client: TestClient
    admin: Account
    expert: Account  # assigned to the diagnosis and the acceptance
    owner: Account  # a user of the seeded enterprise
    operator: Account  # a platform operator's user, holding the seeded maintenance session
    seeds: dict[str, str]  # path parameter name → an existing value
    path_values: dict[str, dict[str, str]] = field(default_factory=dict)  # page id → path values seen in links
    forms: dict[str, Form] = field(default_factory=dict)  # page id → the form a page rendered for it
    field_names: set[str] = field(default_factory=set)  # every name any rendered form has
    token: str = ""

    def sign_in(self, account: Account) -> None:
        self.client.cookies.clear()
        _sign_in(self.client, account)
        self.token = _csrf(self.client.get("/account").text)

    def existing(self, page: Page) -> dict[str, str]:
        seen = self.path_values.get(page.id, {})
        return {name: self.seeds.get(name) or seen.get(name) or "1" for name in page.params}

    def read(self, html: str) -> None:
        parser = _PageParser()
        parser.feed(html)
        for link in parser.links:
            for method in ("GET", "POST"):
                matched = _match(method, link)
                if matched is not None:
                    page, values = matched
                    if all(values[name].isascii() and values[name].isdigit() for name in page.int_params):
                        self.path_values.setdefault(page.id, values)
        for form in parser.forms:
            self.field_names.update(form.names)
            matched = _match(form.method.upper(), form.action)
            if matched is not None:
                self.forms.setdefault(matched[0].id, form)

    def harvest(self) -> None:
        """Render every GET page (with existing ids once links name them), reading links and forms; as the
        administrator, then as the expert (whose review forms only an expert is shown), the enterprise's own
        user (consents, ending a session) and the platform operator (a session's findings, commands, closing)."""
        for account in (self.admin, self.expert, self.owner, self.operator):
            self.sign_in(account)
            rendered: set[str] = set()
            for _ in range(3):  # list pages, then the detail pages they link, then those these link
                for page in PAGES:
                    if page.method != "GET" or page.id in rendered or page.path.endswith((".pdf", ".xlsx", "/live")):
                        continue
                    if page.allowed_roles is not None and account.role not in page.allowed_roles:
                        continue  # refused before it renders anything
                    if page.params and page.id not in self.path_values and not set(page.params) <= set(self.seeds):
                        continue
                    rendered.add(page.id)
                    query = {name: self.seeds[name] for name in page.query_names if name in self.seeds}
                    response = self.client.get(page.url(self.existing(page)), params=query)
                    if response.headers.get("content-type", "").startswith("text/html"):
                        self.read(response.text)


def _seed_operations(
    world: World, client: TestClient, plant: Plant, owner: Account, operator: Account
) -> dict[str, int]:
    """On the seeded plant, through the services: a connector, an alarm rule (raised), the owner's consents of
    both scopes to the platform operator, a writable data point, a session the operator holds and a pending
    command sent in it, a work order; and a maintenance case (of another enterprise: the health helpers learn a
    baseline of their own plant). The ids by path parameter name."""
    admin, own = admin_principal(world), principal_of(owner)
    nodes = [{"node_id": "ns=2;s=CNC01.Spindle.Speed", "device_code": "L1-CNC-01", "signal": "spindle_speed_rpm"}]
    settings = {"endpoint_url": "opc.tcp://127.0.0.1:9/plc", "nodes": nodes}  # nothing listens there
    data = ConnectorCreate(
        enterprise_id=plant.enterprise_id, name="CNC OPC UA", protocol=Protocol.OPCUA, settings=settings
    )
    with world.database.session() as session:
        connector_id = connectors.create_connector(session, admin, default_drivers(), data).id
    rule = {"id": "R1", "signal_id": plant.signal_id, "severity": "high", "kind": "threshold", "limit": "high",
            "setpoint": 12000.0}  # fmt: skip
    with world.database.session() as session:
        rule_pk = alarms.create_rule(session, own, rule).id
    raised = AlarmEvaluator(world.database).evaluate([Point(plant.signal_id, now_us(), 12500.0)])
    assert raised, "the alarm (and with it its acknowledge and shelve forms) is active"
    consent_ids = []
    for scope in (ConsentScope.REMOTE_MAINTENANCE, ConsentScope.REMOTE_COMMAND):
        with world.database.session() as session:
            granted = ConsentCreate(grantee_id=operator.organisation_id, scope=scope, equipment_id=plant.equipment_id)
            consent_ids.append(consent.grant(session, own, granted).id)
    setpoint = SignalCreate(
        device_id=plant.device_id, name="spindle_setpoint_rpm", unit="rpm", range_min=0, range_max=12000, writable=True
    )
    with world.database.session() as session:
        setpoint_id = devices.create_signal(session, admin, setpoint).id
    # Held by the operator the harvest signs in as (not ``seed_session``'s owner's staff, a user the walk does
    # not know): only a session's operator is shown its findings, command and close forms.
    with world.database.session() as session:
        opened = SessionCreate(equipment_id=plant.equipment_id, purpose="主轴振动偏高")
        session_id = sessions.open_session(session, principal_of(operator), opened).id
    prepared = client.post(  # pending: confirmed within two minutes or expired, long after the harvest
        f"/api/maintenance/sessions/{session_id}/commands",
        json={"signal_id": setpoint_id, "value": 1500},
        headers=bearer(client, operator),
    )
    assert prepared.status_code == 201, prepared.text
    with world.database.session() as session:
        order = WorkOrderCreate(equipment_id=plant.equipment_id, title="主轴异响", assignee_name="张工")
        order_id = workorders.create_order(session, own, order).id
    _, health = health_of_another_enterprise(world, client)
    case_id = health["case_id"]
    assert isinstance(case_id, int)
    return {
        "connector_id": connector_id, "rule_pk": rule_pk, "consent_id": consent_ids[-1], "session_id": session_id,
        "command_id": prepared.json()["id"], "order_id": order_id, "case_id": case_id,
    }  # fmt: skip


def _seed(world: World, client: TestClient) -> Seeded:
    """A small world with one of each thing the pages show: the ids by path parameter name, the expert assigned
    to the diagnosis and the acceptance (who may call the routes only experts may call), and the seeded
    enterprise's own user and a platform operator's, whose pages show forms an administrator is not shown."""
    officer = admin_principal(world)
    built = built_project(world, ProjectStage.IN_CONSTRUCTION)
    production = build_production(world, build_plant(world, built.enterprise_id))
    diagnosis_id, team = running_diagnosis(world, assessment_enterprise(world))
    acceptance_id = open_acceptance(world, world.user(Role.OFFICER), built.id, [team[0].user])
    platform_id, operator = platform(world)
    owner = world.user(Role.ENTERPRISE, built.enterprise_id)
    operations = _seed_operations(world, client, production.plant, owner, operator)
    offer = build_offer(world, client)  # a shared machine on offer, and a lessee's booking of it
    booking = request_booking(client, offer, offer_day(2), 4)
    assert booking.status_code == 201, booking.text
    photo = client.put(  # and its photo, which its page serves
        f"/api/sharing/listings/{offer.listing_id}/photo",
        files={"file": ("cnc.png", sharing_photo("PNG"), "image/png")},
        headers=bearer(client, offer.owner),
    )
    assert photo.status_code == 200, photo.text
    billed = disputed_invoice(world, client.app.state.telemetry_store)  # type: ignore[attr-defined]
    cohort_id = cohort(world)
    request_id, _ = posted_request(world)
    integrator = applied_integrator(world)
    victim = world.user(Role.OFFICER)
    with world.database.session() as session:
        trainee = service_talent.add_trainee(
            session, officer, cohort_id, TraineeCreate(name="张三", employer_name="上海某咨询有限公司")
        )
    with world.database.session() as session:
        park = service_parks.create_park(session, officer, ParkCreate(name="临港产业园", district=District.PUDONG))
    with world.database.session() as session:
        data = WorkTaskCreate(year=2021, title="年度工作计划", owner_name="李四", due_on=date(2021, 12, 31))
        task = service_workplan.create_task(session, officer, data, date(2021, 6, 1))
    with world.database.session() as session:
        token, _ = auth.create_api_token(session, officer, ApiTokenCreate(name="walk"))
        token_id = token.id
    ids = {
        "enterprise_id": built.enterprise_id, "project_id": built.id, "edition_id": current_edition(world),
        "equipment_id": production.plant.equipment_id, "node_id": production.plant.line_id,
        "device_id": production.plant.device_id, "stop_id": production.stop_id, "assessment_id": diagnosis_id,
        "expert_id": team[0].id, "acceptance_id": acceptance_id, "platform_id": platform_id, "cohort_id": cohort_id,
        "trainee_id": trainee.id, "request_id": request_id, "park_id": park.id, "task_id": task.id,
        "integrator_id": integrator.organisation_id, "user_id": victim.user_id,
        "organisation_id": victim.organisation_id, "token_id": token_id, **operations,
        "listing_id": offer.listing_id, "booking_id": booking.json()["id"],
        "invoice_id": billed.invoice_id, "dispute_id": billed.dispute_id,
    }  # fmt: skip
    shop = build_shop(world)  # a vehicle maker's released model and a consumer's order of it
    ids.update({"model_code": DEMO_CODE, "version_id": shop.maker.version_id, "order_number": shop.order_number})
    ids.update(vision_walk_ids(world, client))  # an inspection dataset with an image to label
    ids.update(station_walk_ids(world, client))  # an inspection station with an inspected image and its heat map
    verification_id = verified_enterprise(world).verification_id
    # Query parameters too, for the harvest: the stop's day, the work plan's year.
    values = {"locale": "en", "verification_id": verification_id, "date": "2026-12-01", "year": 2021}
    seeds = {name: str(value) for name, value in {**ids, **values}.items()}
    return Seeded(seeds, team[0].user, owner, operator)


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Walk]:
    directory = tmp_path_factory.mktemp("page-walk")
    shutil.copyfile(sqlite_template, directory / "zhizao.db")
    settings = load_settings(data_dir=directory, secret_key=TEST_SECRET, login_max_failures=3)
    database = create_database(settings)
    try:
        with pytest.MonkeyPatch.context() as patch:
            # The live page streams for an hour; here it sends one event and ends.
            patch.setattr(telemetry_pages, "LIVE_MAX_S", 0.001)
            patch.setattr(telemetry_pages, "LIVE_INTERVAL_S", 0.001)
            patch.setattr(c2m_pages, "LIVE_MAX_S", 0.001)
            patch.setattr(c2m_pages, "LIVE_INTERVAL_S", 0.001)
            patch.setattr(vision_station_pages, "LIVE_MAX_S", 0.001)
            patch.setattr(vision_station_pages, "LIVE_INTERVAL_S", 0.001)
            # The walk's station inspects with a stand-in anomaly model (the real ones are trained in tests/vision).
            patch.setattr(vision_inspection, "load_deployed", lambda _settings, _row: HeatModel())
            with TestClient(create_app(settings, database), base_url="https://testserver") as client:
                world = World(database)
                seeded = _seed(world, client)
                walk = Walk(client, world.user(Role.ADMIN), seeded.expert, seeded.owner, seeded.operator, seeded.seeds)
                walk.sign_in(walk.admin)
                walk.harvest()
                yield walk
    finally:
        database.dispose()


# --- the requests each route gets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    label: str  # what is hostile in it, for the failure message
    url: str
    params: dict[str, str] | None = None
    data: dict[str, Any] | None = None
    content: bytes | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    htmx: bool = False

    def send(self, client: TestClient, method: str) -> httpx2.Response:
        headers = {"HX-Request": "true"} if self.htmx else {}
        if self.content is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return client.request(
            method, self.url, params=self.params, data=self.data, content=self.content, files=self.files,
            headers=headers, follow_redirects=False,
        )  # fmt: skip


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _first_values(form: Form | None) -> dict[str, str]:
    values = dict(reversed(form.fields)) if form else {}
    values.pop("csrf_token", None)
    return values


def _one_of_each(names: Sequence[str]) -> list[str]:
    """One name of each kind: ``rating:1`` … ``rating:90`` are the same field for ninety items."""
    kinds: dict[str, str] = {}
    for name in names:
        kinds.setdefault(re.sub(r"([:.]).*", r"\1", name), name)
    return list(kinds.values())


def _is_date(name: str, value: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) or bool(re.search(r"date|_on$|start|end|due|day", name))


def _path_calls(page: Page, existing: dict[str, str], body: dict[str, Any] | None) -> Iterator[Call]:
    for name in page.params:
        for value in PATH_INT_VALUES if name in page.int_params else PATH_TEXT_VALUES:
            yield Call(f"{name}={_short(value)}", page.url({**existing, name: value}), data=body)


def _get_calls(page: Page, walk: Walk) -> Iterator[Call]:
    existing = walk.existing(page)
    url = page.url(existing)
    form = walk.forms.get(page.id)
    baseline = _first_values(form)
    yield Call("existing path", url, params=baseline)
    yield from _path_calls(page, existing, None)
    names = list(dict.fromkeys([*page.query_names, *(form.names if form else [])]))
    for name in _one_of_each(names):
        for value in QUERY_VALUES:
            yield Call(f"?{name}={_short(value)}", url, params={**baseline, name: value})
    for value in QUERY_VALUES:
        yield Call(f"every query parameter {_short(value)}", url, params=dict.fromkeys([*names, *COMMON_QUERY], value))
    yield Call("every query parameter twice", url, params={name: [HUGE, "²"] for name in names})  # type: ignore[misc]


def _name_ids(names: set[str]) -> list[str]:
    """Field names that carry an id or a key (``rating:12``, ``target.automotive``), with hostile ones instead."""
    hostile: set[str] = set()
    for name in names:
        match = re.match(r"^(\w+)([:.])", name)
        if match:
            hostile.update(match.group(1) + match.group(2) + value for value in NAME_ID_VALUES)
    return sorted(hostile)


def _post_calls(page: Page, walk: Walk) -> Iterator[Call]:
    existing = walk.existing(page)
    url = page.url(existing)
    csrf = {"csrf_token": walk.token}
    form = walk.forms.get(page.id)
    rendered = _first_values(form)
    own = [name for name in dict.fromkeys([*page.form_names, *(form.names if form else [])]) if name != "csrf_token"]
    baseline = {**{name: walk.seeds.get(name, "1") for name in own}, **rendered, **csrf}
    yield Call("the form as rendered", url, data=baseline)
    yield Call("the form as rendered, from htmx", url, data=baseline, htmx=True)
    yield from _path_calls(page, existing, baseline)
    for name in _one_of_each(own):
        dates = DATE_VALUES if _is_date(name, rendered.get(name, "")) else []
        for value in [*FIELD_VALUES, *dates]:
            yield Call(f"{name}={_short(value)}", url, data={**baseline, name: value})
    every = sorted({*own, *TEMPLATE_NAMES, *walk.field_names} - {"csrf_token"})
    for value in FORM_VALUES:
        yield Call(f"every field {_short(value)}", url, data={**dict.fromkeys(every, value), **csrf})
    yield Call("every field twice", url, data={**{name: [HUGE, "²"] for name in every}, **csrf})
    yield Call("hostile ids in field names", url, data={**baseline, **dict.fromkeys(_name_ids(set(every)), "1")})
    raw = "&".join(f"{name}=%ff%fe%00" for name in every).encode() + f"&csrf_token={walk.token}".encode()
    yield Call("bytes that are not UTF-8", url, content=raw)
    for name in page.file_names:
        for filename, content in UPLOADS:
            files = {name: (filename, content, "application/octet-stream")}
            yield Call(f"file {name}={_short(filename)}: {_short(content)}", url, data=baseline, files=files)


def _unexpected_files(page: Page, walk: Walk) -> Iterator[Call]:
    """Files where a form has none: every field of the form sent as a file part, and a file besides the form."""
    url = page.url(walk.existing(page))
    csrf = {"csrf_token": walk.token}
    form = walk.forms.get(page.id)
    own = [name for name in dict.fromkeys([*page.form_names, *(form.names if form else [])]) if name != "csrf_token"]
    as_files = {name: (name, HUGE.encode(), "text/plain") for name in own}
    yield Call("every field a file", url, data=csrf, files=as_files)
    baseline = {**_first_values(form), **csrf}
    yield Call("an unexpected file", url, data=baseline, files={"file": (*UPLOADS[0], "application/octet-stream")})


def _where(exc: BaseException) -> str:
    """The innermost line of the app (or, failing that, of anything) that raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [frame for frame in frames if "/zhizao/" in frame.filename] or frames
    frame = ours[-1]
    return f"{frame.filename.split('/src/')[-1]}:{frame.lineno} in {frame.name}"


def _send(walk: Walk, page: Page, call: Call) -> str | None:
    try:
        response = call.send(walk.client, page.method)
    except Exception as exc:
        return f"{call.label}: {type(exc).__name__}: {str(exc)[:160]} at {_where(exc)}"
    if response.status_code >= 500:
        return f"{call.label}: {response.status_code}"
    return None


def _calls(page: Page, walk: Walk) -> Iterator[Call]:
    return _get_calls(page, walk) if page.method == "GET" else _post_calls(page, walk)


def _caller(page: Page, walk: Walk) -> Account:
    if page.allowed_roles is None or Role.ADMIN in page.allowed_roles:
        return walk.admin
    assert Role.EXPERT in page.allowed_roles, f"{page.id}: the walk has no caller of roles {page.allowed_roles}"
    return walk.expert


def _case(page: Page, known: dict[tuple[str, str], str]) -> Any:
    reason = known.get((page.method, page.path))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(page, id=page.id, marks=marks)


def test_the_walk_covers_every_page() -> None:
    ids = {page.id for page in PAGES}
    assert len(PAGES) >= 130
    assert {
        "POST /programme/enterprises/records",
        "POST /programme/editions",
        "POST /programme/projects/{project_id}/transitions",
        "GET /programme/cockpit/drill/{metric}",
        "POST /programme/talent/trainees/{trainee_id}/{step}",
        "POST /login",
    } <= ids
    assert not [page.id for page in PAGES if page.path.startswith("/api/")], "API routes are Schemathesis's"


def test_the_walk_reaches_the_handlers(walk: Walk) -> None:
    """Most forms were found on a page (their fields filled as rendered; the others are filled from their
    ``Form()`` parameters and every name the templates use), and every page with path parameters has existing
    values (seeded, or read from a link) that open it."""
    posts = [page for page in PAGES if page.method == "POST"]
    missing = sorted(page.id for page in posts if page.id not in walk.forms)
    assert len(missing) <= len(posts) // 4, missing
    assert {
        "POST /programme/enterprises/records",
        "POST /programme/editions",
        "POST /programme/projects/{project_id}/transitions",
        "POST /assessment/{assessment_id}/domains/{domain_key}",
        "POST /production/stops/{stop_id}/reason",
        # only the enterprise's own user, or the platform operator holding the session, is shown these
        "POST /commands/consents/{consent_id}/revoke",
        "POST /maintenance/sessions/{session_id}/end",
        "POST /maintenance/sessions/{session_id}/findings",
        "POST /maintenance/sessions/{session_id}/commands",
        "POST /commands/{command_id}/confirm",
    } <= set(walk.forms)
    walk.sign_in(walk.admin)
    for page in PAGES:
        if page.method == "GET" and page.params and page.id not in NOT_OPENED_AS_ADMIN:
            response = walk.client.get(page.url(walk.existing(page)), follow_redirects=False)
            assert response.status_code == 200, f"{page.id}: {response.status_code}"


@pytest.mark.parametrize("page", [_case(page, KNOWN_CRASHES) for page in PAGES])
def test_no_page_answers_5xx_to_hostile_input(walk: Walk, page: Page) -> None:
    walk.sign_in(_caller(page, walk))
    failures = [failure for call in _calls(page, walk) if (failure := _send(walk, page, call)) is not None]
    assert not failures, f"{page.id} crashed on:\n" + "\n".join(failures)


@pytest.mark.parametrize("page", [_case(page, KNOWN_LEAKS) for page in PAGES if page.method == "POST"])
def test_no_form_leaves_an_unexpected_upload_open(walk: Walk, page: Page) -> None:
    """A handler that reads ``request.form()`` itself must close it (``async with request.form() as form``):
    FastAPI closes only the forms it parses for ``Form()``/``File()`` parameters. Left open, each file part of
    a multipart body stays in a temporary file (on disk past 1 MB) until the garbage collector finds it."""
    walk.sign_in(_caller(page, walk))
    gc.freeze()  # what exists now is not garbage: the collection below looks only at what the calls made
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            failures = [failure for call in _unexpected_files(page, walk) if (failure := _send(walk, page, call))]
            gc.collect()  # the form is freed with the request's reference cycles: only a collection closes it
    finally:
        gc.unfreeze()
    leaks = [str(warning.message)[:120] for warning in caught if issubclass(warning.category, ResourceWarning)]
    assert not failures and not leaks, f"{page.id}:\n" + "\n".join(failures + leaks)
