"""The web application: ``create_app(settings)`` assembles every context's API routes and pages."""

from zhizao.web.app import create_app

__all__ = ["create_app"]
