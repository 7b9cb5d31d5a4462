"""Programme paths the public reaches without signing in (the directory and the publications)."""

from __future__ import annotations

# Owned by the directory area: the public integrator directory and platform list.
DIRECTORY_PATHS: frozenset[str] = frozenset(
    {"/directory", "/directory/platforms", "/api/programme/directory", "/api/programme/platforms/public"}
)
# Owned by the publications area: the smart-factory list, the case collection and their PDFs.
PUBLICATION_PATHS: frozenset[str] = frozenset(
    {"/public/smart-factories", "/public/smart-factories.pdf", "/public/cases", "/public/cases.pdf",
     "/public/cases/{project_id}", "/api/programme/public/smart-factories"}
)  # fmt: skip

PUBLIC_PATHS = DIRECTORY_PATHS | PUBLICATION_PATHS
