"""Every string users see has a reviewed zh-CN translation, placeholders survive translation, and lookups follow
the locale. Extraction reads ``babel.cfg``, the mapping ``scripts/i18n extract`` uses, so both see the same ids."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from zhizao.ui import i18n
from zhizao.ui.templating import UI

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src"
# %(name)s, %(seconds)d, %(ratio).1f …: the named placeholders gettext callers fill in.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
HINT = "run scripts/i18n extract, translate in src/zhizao/ui/locales/zh_CN/LC_MESSAGES/messages.po"

Key = tuple[str, str | None]  # (msgid, msgctxt)


def _in_source(dirpath: str) -> bool:
    """Walk only src/ (every pattern in babel.cfg is under it), skipping hidden and __pycache__ folders."""
    path = Path(dirpath)
    return not path.name.startswith((".", "_")) and (path == SOURCE or SOURCE in path.parents)


@pytest.fixture(scope="module")
def source_messages() -> dict[Key, list[str]]:
    """Message id (and context) → where it is used, extracted with the method map and options of babel.cfg."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")  # type: ignore[no-untyped-call]
    found: dict[Key, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, directory_filter=_in_source
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return found


def load_catalog(locale: str) -> Catalog:
    with (i18n.LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale, abort_invalid=True)


def strings(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """A message's singular and plural forms; an absent msgstr counts as empty."""
    if value is None:
        return ("",)
    return (value,) if isinstance(value, str) else tuple(value)


def placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


@pytest.fixture
def restore_locale() -> Iterator[None]:
    previous = i18n.current_locale()
    yield
    i18n.set_locale(previous)


def test_extraction_finds_template_and_python_strings(source_messages: dict[Key, list[str]]) -> None:
    ids = {msgid for msgid, _context in source_messages}
    assert {
        "Sign in",  # template
        "Welcome, %(name)s",  # template, newstyle gettext with a variable
        "Programme officer",  # N_() in Python
        "Wrong username or password.",  # i18n.gettext() in Python
        "Too many failed sign-ins. Try again in %(seconds)d seconds.",
    } <= ids


def test_every_message_has_a_reviewed_zh_cn_translation(source_messages: dict[Key, list[str]]) -> None:
    catalog = load_catalog("zh_CN")
    problems = []
    for (msgid, context), used_at in sorted(source_messages.items(), key=lambda item: item[1][0]):
        entry = catalog.get(msgid, context)
        if entry is None:
            problems.append(f"not in the catalog: {msgid!r} ({used_at[0]})")
        elif entry.fuzzy:
            problems.append(f"fuzzy, needs review: {msgid!r} ({used_at[0]})")
        elif not all(strings(entry.string)):
            problems.append(f"no translation: {msgid!r} ({used_at[0]})")
    assert not problems, f"{len(problems)} zh_CN message(s) to fix ({HINT}):\n" + "\n".join(problems)


def test_every_message_is_in_the_english_catalog(source_messages: dict[Key, list[str]]) -> None:
    """English msgstrs may stay empty (the id is shown), but the catalog parses and lists every id."""
    catalog = load_catalog("en")
    problems = [
        f"{msgid!r} ({used_at[0]})"
        for (msgid, context), used_at in source_messages.items()
        if (entry := catalog.get(msgid, context)) is None or entry.fuzzy
    ]
    assert not problems, "missing or fuzzy in the en catalog (run scripts/i18n extract):\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_translations_keep_their_placeholders(locale: str, source_messages: dict[Key, list[str]]) -> None:
    catalog = load_catalog(locale)
    problems = []
    for msgid, context in source_messages:
        entry = catalog.get(msgid, context)
        if entry is None:
            continue  # reported by the completeness tests
        expected = set().union(*(placeholders(text) for text in strings(entry.id)))
        for msgstr in strings(entry.string):
            if not msgstr:
                continue
            if placeholders(msgstr) != expected:
                problems.append(f"{msgid!r} → {msgstr!r}: expected placeholders {sorted(expected)}")
                continue
            # Templates use newstyle gettext, which %-formats every translation: a lone "%" must be "%%".
            try:
                msgstr % {match.group(1): 0 for match in PLACEHOLDER.finditer(msgstr)}
            except (TypeError, ValueError, KeyError) as exc:
                problems.append(f"{msgid!r} → {msgstr!r}: does not %-format ({exc})")
    assert not problems, f"{locale} placeholder problems:\n" + "\n".join(problems)


@pytest.mark.usefixtures("restore_locale")
def test_gettext_follows_the_locale() -> None:
    i18n.set_locale("zh_CN")
    assert i18n.gettext("Sign in") == "登录"
    assert i18n.gettext("Programme officer") == "经信委工作人员"
    message = i18n.gettext("Too many failed sign-ins. Try again in %(seconds)d seconds.")
    assert message % {"seconds": 30} == "登录失败次数过多，请 30 秒后再试。"

    i18n.set_locale("en")
    assert i18n.gettext("Sign in") == "Sign in"
    assert i18n.gettext("Programme officer") == "Programme officer"


@pytest.mark.usefixtures("restore_locale")
def test_templates_translate_and_fill_placeholders() -> None:
    environment = UI(template_packages=["zhizao.ui"], nav=[], timezone="Asia/Shanghai").templates.env
    template = environment.from_string('{{ _("Welcome, %(name)s", name=name) }} · {{ _("Sign out") }}')

    i18n.set_locale("zh_CN")
    assert template.render(name="王工") == "欢迎您，王工 · 退出登录"
    i18n.set_locale("en")
    assert template.render(name="<b>Wang</b>") == "Welcome, &lt;b&gt;Wang&lt;/b&gt; · Sign out"
