"""Evaluation reports name the software their figures were measured with."""

from __future__ import annotations

import platform

import numpy as np
import pytest
import sklearn

from zhizao.vision import provenance


def test_the_versions_are_those_installed() -> None:
    found = provenance.versions()
    assert found["python"] == platform.python_version()
    assert (found["numpy"], found["scikit-learn"]) == (np.__version__, sklearn.__version__)
    assert "zhizao" in found


def test_a_package_that_is_not_installed_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provenance, "PACKAGES", ("numpy", "no-such-distribution-zhizao"))
    assert set(provenance.versions()) == {"python", "numpy"}


def test_described_lists_name_and_version_in_order() -> None:
    assert provenance.described({"python": "3.11.9", "numpy": "2.4.6"}) == "python 3.11.9, numpy 2.4.6"
