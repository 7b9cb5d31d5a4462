"""Signing in through the login page, as a browser does, for tests of the HTML pages and their forms."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import Account


def csrf_field(html: str) -> str:
    """The CSRF token of a page's forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def sign_in_page(client: TestClient, account: Account) -> None:
    """A fresh session signed in as ``account`` through the login form (cookies, not a bearer token)."""
    client.cookies.clear()
    token = csrf_field(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": account.username, "password": account.password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
