"""Translations: Babel catalogs (``locales/<locale>/LC_MESSAGES/messages.po``), zh-CN first, English second.

Message ids are English. The catalogs are compiled in memory when first used, so the repository holds only the
readable ``.po`` files. ``scripts/i18n`` extracts new strings; a test fails while any lacks a zh-CN translation.
"""

from __future__ import annotations

import functools
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES: Final = ("zh_CN", "en")
DEFAULT_LOCALE: Final = "zh_CN"
LOCALE_NAMES: Final = {"zh_CN": "中文", "en": "English"}
LOCALES_DIR = Path(__file__).with_name("locales")

_current_locale: ContextVar[str] = ContextVar("zhizao_locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Marks a string for extraction; it is translated later, where it is shown."""
    return message


@functools.cache
def translations(locale: str) -> Translations:
    po_file = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_file.exists():
        return Translations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def normalise_locale(value: str | None) -> str | None:
    if not value:
        return None
    candidate = value.replace("-", "_")
    for locale in LOCALES:
        if candidate.lower() == locale.lower() or candidate.lower() == locale.split("_")[0]:
            return locale
    return None


def set_locale(locale: str) -> None:
    _current_locale.set(locale)


def current_locale() -> str:
    return _current_locale.get()


def gettext(message: str) -> str:
    return translations(current_locale()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale()).ungettext(singular, plural, n)
