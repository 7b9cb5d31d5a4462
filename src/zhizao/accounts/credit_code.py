"""统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters with a mod-31 check character."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem_with(code: str) -> str | None:
    """Why a code is not valid, or None when it is."""
    if len(code) != 18:
        return "must be 18 characters"
    bad = sorted({char for char in code if char not in ALPHABET})
    if bad:
        return f"contains characters not allowed in a credit code: {''.join(bad)}"
    if not code[2:8].isdigit():
        return "characters 3-8 must be the administrative division code (digits)"
    if code[17] != check_character(code[:17]):
        return "check character does not match (GB 32100-2015)"
    return None


def complete(first17: str) -> str:
    """Append the check character to 17 characters (used to make valid demo codes)."""
    return first17 + check_character(first17)
