"""One Jinja2 environment over every context's templates, with translations, navigation and local time."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from zhizao.ui import i18n
from zhizao.ui.csrf import csrf_token
from zhizao.ui.nav import NavItem, visible_items


class UI:
    """Built once per app by ``create_app`` and kept at ``app.state.ui``."""

    def __init__(
        self,
        template_packages: Sequence[str],
        nav: Sequence[NavItem],
        timezone: str,
        filters: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        loader = ChoiceLoader([PackageLoader(package, "templates") for package in template_packages])
        environment = Environment(
            loader=loader,
            autoescape=select_autoescape(default=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
        self.zone = ZoneInfo(timezone)
        environment.filters["local_time"] = self.local_time
        environment.filters.update(filters or {})
        environment.globals.update(locales=i18n.LOCALE_NAMES)
        self.templates = Jinja2Templates(env=environment)
        self.nav = tuple(nav)

    def local_time(self, value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
        """Stored in UTC, shown in the programme's time zone (Asia/Shanghai)."""
        return "" if value is None else value.astimezone(self.zone).strftime(pattern)

    def render(
        self, request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
    ) -> HTMLResponse:
        principal = getattr(request.state, "principal", None)
        role = getattr(principal, "role", None)
        full_context = {
            "current_user": principal,
            "nav_items": visible_items(self.nav, None if role is None else str(role)),
            "csrf_token": csrf_token(request.session),
            "locale": i18n.current_locale(),
            "path": request.url.path,
            **(context or {}),
        }
        return self.templates.TemplateResponse(request, name, full_context, status_code=status_code)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    ui: UI = request.app.state.ui
    return ui.render(request, name, context, status_code)
