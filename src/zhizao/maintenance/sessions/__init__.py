"""Remote maintenance sessions: access under the owner's consent, the session lifecycle, live data, alarms,
diagnostics, commands and findings, and the session report (page and PDF). See docs/maintenance-remote.md."""
