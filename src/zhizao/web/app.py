"""``create_app(settings)``: the one place where contexts, middleware and error handling are put together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from importlib.resources import files

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute

import zhizao
from zhizao.accounts import api as accounts_api
from zhizao.accounts import audit as accounts_audit
from zhizao.accounts import pages as accounts_pages
from zhizao.accounts.roles import ORGANISATION_KIND_LABELS, ROLE_LABELS
from zhizao.assessment import api as assessment_api
from zhizao.assessment import pages as assessment_pages
from zhizao.assessment.audit_labels import ACTION_LABELS as ASSESSMENT_ACTIONS
from zhizao.c2m import api as c2m_api
from zhizao.c2m import api_planning as c2m_planning_api
from zhizao.c2m import pages as c2m_pages
from zhizao.c2m import pages_maker as c2m_maker_pages
from zhizao.c2m import pages_planning as c2m_planning_pages
from zhizao.c2m.audit_labels import ACTION_LABELS as C2M_ACTIONS
from zhizao.connectors import api as connectors_api
from zhizao.connectors import pages as connectors_pages
from zhizao.connectors.audit_labels import ACTION_LABELS as CONNECTOR_ACTIONS
from zhizao.db.engine import Database, create_database
from zhizao.maintenance import api_health as health_api
from zhizao.maintenance import api_online as online_api
from zhizao.maintenance import api_optimisation as optimisation_api
from zhizao.maintenance import api_sessions as sessions_api
from zhizao.maintenance import api_workorders as workorders_api
from zhizao.maintenance import pages_health as health_pages
from zhizao.maintenance import pages_optimisation as optimisation_pages
from zhizao.maintenance import pages_sessions as sessions_pages
from zhizao.maintenance import pages_workorders as workorders_pages
from zhizao.maintenance.audit_labels_health import ACTION_LABELS as HEALTH_ACTIONS
from zhizao.maintenance.audit_labels_sessions import ACTION_LABELS as SESSION_ACTIONS
from zhizao.maintenance.audit_labels_workorders import ACTION_LABELS as WORKORDER_ACTIONS
from zhizao.production import api as production_api
from zhizao.production import api_kpi as production_kpi
from zhizao.production import api_programme as production_programme
from zhizao.production import pages as production_pages
from zhizao.production import pages_programme as programme_pages
from zhizao.production import pages_reports as report_pages
from zhizao.production import pages_stops as stop_pages
from zhizao.production.audit_labels import ACTION_LABELS as PRODUCTION_ACTIONS
from zhizao.production.programme_service import ACTION_LABELS as PROGRAMME_ACTIONS
from zhizao.programme import api_acceptance as programme_acceptance_api
from zhizao.programme import api_cockpit as programme_cockpit_api
from zhizao.programme import api_community as programme_community_api
from zhizao.programme import api_directory as programme_directory_api
from zhizao.programme import api_enterprises as programme_enterprises_api
from zhizao.programme import api_projects as programme_projects_api
from zhizao.programme import audit_acceptance as programme_acceptance_audit
from zhizao.programme import audit_cockpit as programme_cockpit_audit
from zhizao.programme import audit_community as programme_community_audit
from zhizao.programme import audit_directory as programme_directory_audit
from zhizao.programme import audit_enterprises as programme_enterprises_audit
from zhizao.programme import audit_projects as programme_projects_audit
from zhizao.programme import pages_acceptance as programme_acceptance_pages
from zhizao.programme import pages_cockpit as programme_cockpit_pages
from zhizao.programme import pages_community as programme_community_pages
from zhizao.programme import pages_directory as programme_directory_pages
from zhizao.programme import pages_enterprises as programme_enterprises_pages
from zhizao.programme import pages_projects as programme_projects_pages
from zhizao.programme.kinds import DISTRICT_LABELS, INDUSTRY_LABELS, PROJECT_STAGE_LABELS
from zhizao.settings import Settings
from zhizao.sharing import api as sharing_api
from zhizao.sharing import api_components as sharing_components_api
from zhizao.sharing import api_dashboards as sharing_dashboards_api
from zhizao.sharing import api_invoices as sharing_invoices_api
from zhizao.sharing import api_photos as sharing_photos_api
from zhizao.sharing import pages as sharing_pages
from zhizao.sharing import pages_dashboards as sharing_dashboards_pages
from zhizao.sharing import pages_invoices as sharing_invoices_pages
from zhizao.sharing import pages_owner as sharing_owner_pages
from zhizao.sharing.audit_labels import ACTION_LABELS as SHARING_ACTIONS
from zhizao.telemetry import api as telemetry_api
from zhizao.telemetry import api_data as telemetry_data
from zhizao.telemetry import api_ingest
from zhizao.telemetry import pages as telemetry_pages
from zhizao.telemetry import pages_manage as telemetry_manage
from zhizao.telemetry.alarms import api as alarms_api
from zhizao.telemetry.alarms import pages as alarms_pages
from zhizao.telemetry.alarms.audit_labels import ACTION_LABELS as ALARM_ACTIONS
from zhizao.telemetry.audit_labels import ACTION_LABELS as TELEMETRY_ACTIONS
from zhizao.telemetry.commands import api as commands_api
from zhizao.telemetry.commands import pages as commands_pages
from zhizao.telemetry.commands.audit_labels import ACTION_LABELS as COMMAND_ACTIONS
from zhizao.telemetry.kinds import EQUIPMENT_TYPE_LABELS
from zhizao.telemetry.store.factory import open_store
from zhizao.ui.csrf import CSRFMiddleware
from zhizao.ui.templating import UI
from zhizao.vision import api_datasets as vision_datasets_api
from zhizao.vision import api_models as vision_models_api
from zhizao.vision import api_stations as vision_stations_api
from zhizao.vision import pages_datasets as vision_datasets_pages
from zhizao.vision import pages_models as vision_models_pages
from zhizao.vision import pages_stations as vision_stations_pages
from zhizao.vision.audit_labels_data import ACTION_LABELS as VISION_DATA_ACTIONS
from zhizao.vision.station_audit_labels import ACTION_LABELS as VISION_STATION_ACTIONS
from zhizao.web import pages as shell_pages
from zhizao.web.errors import install_error_handlers
from zhizao.web.middleware import BodyLimitMiddleware, LocaleMiddleware, MetricsMiddleware

SESSION_COOKIE = "zhizao_session"

# Each context contributes its JSON routes, its pages, its templates package and its navigation entries.
API_ROUTERS = (
    accounts_api.router,
    telemetry_api.router,
    telemetry_data.router,
    commands_api.router,
    api_ingest.router,
    alarms_api.router,
    connectors_api.router,
    production_api.router,
    production_kpi.router,
    production_programme.router,
    assessment_api.router,
    programme_enterprises_api.router,
    programme_projects_api.router,
    programme_acceptance_api.router,
    programme_directory_api.router,
    programme_community_api.router,
    programme_cockpit_api.router,
    health_api.router,
    online_api.router,
    optimisation_api.router,
    sessions_api.router,
    workorders_api.router,
    sharing_api.router,
    sharing_components_api.router,
    sharing_invoices_api.router,
    sharing_photos_api.router,
    sharing_dashboards_api.router,
    c2m_api.router,
    c2m_planning_api.router,
    vision_datasets_api.router,
    vision_models_api.router,
    vision_stations_api.router,
)
PAGE_ROUTERS = (
    shell_pages.router,
    accounts_pages.router,
    telemetry_pages.router,
    telemetry_manage.router,
    alarms_pages.router,
    commands_pages.router,
    connectors_pages.router,
    production_pages.router,
    programme_pages.router,
    stop_pages.router,
    report_pages.router,
    assessment_pages.router,
    programme_enterprises_pages.router,
    programme_projects_pages.router,
    programme_acceptance_pages.router,
    programme_directory_pages.router,
    programme_community_pages.router,
    programme_cockpit_pages.router,
    health_pages.router,
    optimisation_pages.router,
    sessions_pages.router,
    workorders_pages.router,
    sharing_pages.router,
    sharing_invoices_pages.router,
    sharing_owner_pages.router,
    sharing_dashboards_pages.router,
    c2m_pages.router,
    c2m_maker_pages.router,
    c2m_planning_pages.router,
    vision_datasets_pages.router,
    vision_models_pages.router,
    vision_stations_pages.router,
)
TEMPLATE_PACKAGES = (
    "zhizao.web",
    "zhizao.accounts",
    "zhizao.telemetry",
    "zhizao.connectors",
    "zhizao.production",
    "zhizao.maintenance",
    "zhizao.assessment",
    "zhizao.programme",
    "zhizao.sharing",
    "zhizao.c2m",
    "zhizao.vision",
    "zhizao.ui",
)
NAVIGATION = (
    *shell_pages.NAV,
    *accounts_pages.NAV,
    *telemetry_pages.NAV,
    *alarms_pages.NAV,
    *commands_pages.NAV,
    *connectors_pages.NAV,
    *production_pages.NAV,
    *programme_pages.NAV,
    *stop_pages.NAV,
    *assessment_pages.NAV,
    *programme_enterprises_pages.NAV,
    *programme_projects_pages.NAV,
    *programme_acceptance_pages.NAV,
    *programme_directory_pages.NAV,
    *programme_community_pages.NAV,
    *programme_cockpit_pages.NAV,
    *health_pages.NAV,
    *optimisation_pages.NAV,
    *sessions_pages.NAV,
    *workorders_pages.NAV,
    *sharing_pages.NAV,
    *sharing_invoices_pages.NAV,
    *sharing_owner_pages.NAV,
    *sharing_dashboards_pages.NAV,
    *c2m_pages.NAV,
    *c2m_maker_pages.NAV,
    *c2m_planning_pages.NAV,
    *vision_datasets_pages.NAV,
    *vision_stations_pages.NAV,
)
AUDIT_ACTION_LABELS = {
    **accounts_audit.ACTION_LABELS,
    **TELEMETRY_ACTIONS,
    **ALARM_ACTIONS,
    **COMMAND_ACTIONS,
    **CONNECTOR_ACTIONS,
    **PRODUCTION_ACTIONS,
    **WORKORDER_ACTIONS,
    **HEALTH_ACTIONS,
    **SESSION_ACTIONS,
    **PROGRAMME_ACTIONS,
    **ASSESSMENT_ACTIONS,
    **programme_enterprises_audit.ACTION_LABELS,
    **programme_projects_audit.ACTION_LABELS,
    **programme_acceptance_audit.ACTION_LABELS,
    **programme_directory_audit.ACTION_LABELS,
    **programme_community_audit.ACTION_LABELS,
    **programme_cockpit_audit.ACTION_LABELS,
    **SHARING_ACTIONS,
    **C2M_ACTIONS,
    **VISION_DATA_ACTIONS,
    **VISION_STATION_ACTIONS,
}


@cache
def shared_routes() -> tuple[BaseRoute, ...]:
    """Every API and page route, included once per process and shared by each app built in it.

    FastAPI prepares an included route (its dependencies, parameter and body validators) the first time a request
    is matched against it, for the router that included it (``zhizao.web.prepare``): about a second of CPU for
    the whole app. Included once, the routes are prepared once per process, not once per app (the test suite
    builds thousands of apps). A prepared route holds no app: its handlers reach the settings and the database
    through ``request.app.state``. No app here overrides dependencies; ``app.dependency_overrides`` would not
    reach these routes.
    """
    router = APIRouter()
    for included in (*API_ROUTERS, *PAGE_ROUTERS):
        router.include_router(included)
    return tuple(router.routes)


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """Build the app. The database is created here unless given (tests share one), and disposed on shutdown."""
    owns_database = database is None
    db = database or create_database(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.telemetry_store.close()
        if owns_database:
            db.dispose()

    app = FastAPI(
        title="zhizao 智造",
        version=zhizao.__version__,
        description="Smart-factory programme platform. Authenticate with the OAuth2 password flow "
        "(`/api/auth/token`) or a personal API token; errors share one JSON shape.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = db
    label_filters = {
        "role_label": lambda value: ROLE_LABELS.get(str(value), str(value)),
        "org_kind_label": lambda value: ORGANISATION_KIND_LABELS.get(str(value), str(value)),
        "audit_action_label": lambda value: AUDIT_ACTION_LABELS.get(str(value), str(value)),
        "equipment_type_label": lambda value: EQUIPMENT_TYPE_LABELS.get(str(value), str(value)),
        "industry_label": lambda value: INDUSTRY_LABELS.get(str(value), str(value)),
        "district_label": lambda value: DISTRICT_LABELS.get(str(value), str(value)),
        "project_stage_label": lambda value: PROJECT_STAGE_LABELS.get(str(value), str(value)),
    }
    app.state.ui = UI(TEMPLATE_PACKAGES, NAVIGATION, settings.timezone, label_filters)
    app.state.metrics = CollectorRegistry()
    app.state.telemetry_store = open_store(db)

    app.router.routes.extend(shared_routes())
    app.mount("/static", StaticFiles(directory=str(files("zhizao.ui") / "static")), name="static")
    install_error_handlers(app)

    # Outermost last: size limit → metrics → session cookie → CSRF → locale → routes.
    app.add_middleware(LocaleMiddleware, default_locale=settings.default_locale)
    app.add_middleware(CSRFMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(MetricsMiddleware, registry=app.state.metrics)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    return app
