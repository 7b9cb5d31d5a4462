"""The software an evaluation's figures were measured with.

The figures depend on the numerical libraries as well as on the code: a release of scikit-learn or numpy may build
other trees or resample images a little differently, and on NEU the detector's mAP@0.5 has moved by 0.02 between
two environments with the same code (docs/vision.md). Every evaluation report names the versions it ran on, so a
figure can be reproduced, or a difference traced, later.
"""

from __future__ import annotations

import platform
from importlib import metadata

PACKAGES = ("zhizao", "numpy", "scipy", "scikit-learn", "pillow", "threadpoolctl", "torch")


def versions() -> dict[str, str]:
    """Python's version and those of the packages above that are installed, by distribution name."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # torch is optional
    return found


def described(environment: dict[str, str]) -> str:
    return ", ".join(f"{name} {version}" for name, version in environment.items())
