"""External programs some tests drive: skipped with a reason on a bare machine, required in CI.

CI (``.ci/run``) sets ``ZHIZAO_TEST_REQUIRE_BROKER=1``: there a missing Mosquitto fails the run instead.
"""

from __future__ import annotations

import os
import shutil

import pytest


def mosquitto_binary() -> str:
    """The ``mosquitto`` broker binary, for tests that must start, stop and restart a broker of their own."""
    binary = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if binary is None:
        message = "mosquitto is not installed (apt-get install mosquitto); broker restart tests need their own"
        if os.environ.get("ZHIZAO_TEST_REQUIRE_BROKER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return binary
