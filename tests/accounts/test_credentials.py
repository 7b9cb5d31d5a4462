from datetime import UTC, datetime, timedelta

import pytest

from zhizao.accounts import credit_code
from zhizao.accounts.credentials import (
    check_password_rules,
    hash_api_token,
    hash_password,
    issue_access_token,
    new_api_token,
    read_access_token,
    verify_password,
)
from zhizao.errors import AuthenticationFailed, InputError

SECRET = "a-secret-for-signing-tokens-in-tests-0123456789"


def test_password_hash_is_argon2id_and_verifies_only_the_right_password() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not verify_password("not-a-hash", "anything")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 10"),
        ("aaaaaaaaaaaa", "4 different"),
        ("Operator01", "username"),
        ("x" * 257, "at most 256"),
    ],
)
def test_password_rules_name_the_field_and_the_problem(password: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        check_password_rules(password, username="operator01", field="body.password")
    assert caught.value.fields[0].field == "body.password"
    assert problem in caught.value.fields[0].message


def test_access_token_round_trip_and_expiry() -> None:
    now = datetime.now(UTC)
    token = issue_access_token(SECRET, user_id=7, auth_version=3, now=now, ttl=timedelta(minutes=5))
    claims = read_access_token(SECRET, token)
    assert (claims.user_id, claims.auth_version) == (7, 3)
    expired = issue_access_token(SECRET, user_id=7, auth_version=3, now=now - timedelta(hours=1), ttl=timedelta(1))
    with pytest.raises(AuthenticationFailed, match="expired"):
        read_access_token(
            SECRET,
            issue_access_token(
                SECRET, user_id=7, auth_version=3, now=now - timedelta(days=2), ttl=timedelta(minutes=1)
            ),
        )
    assert read_access_token(SECRET, expired).user_id == 7
    with pytest.raises(AuthenticationFailed):
        read_access_token("another-secret-of-sufficient-length-0123456789", token)
    with pytest.raises(AuthenticationFailed):
        read_access_token(SECRET, token[:-2] + "xx")


def test_api_tokens_are_random_and_stored_only_as_hash() -> None:
    first, second = new_api_token(), new_api_token()
    assert first.token != second.token
    assert first.token.startswith("zz_") and len(first.token) > 40
    assert first.token_hash == hash_api_token(first.token) != first.token
    assert first.token.startswith(first.prefix)


def test_credit_code_check_character() -> None:
    # A published example of a valid 统一社会信用代码.
    assert credit_code.problem_with("91350100M000100Y43") is None
    assert "check character" in (credit_code.problem_with("91350100M000100Y44") or "")
    assert "18 characters" in (credit_code.problem_with("9135") or "")
    assert "not allowed" in (credit_code.problem_with("91350100M000100YI3") or "")
    assert credit_code.complete("91350100M000100Y4") == "91350100M000100Y43"
