"""Application services: each operation is one transaction that asks the reference
monitor, writes the audit event and touches the store — the one path every interface
(CLI, REST, HTML, TAXII) goes through."""

#: the package's public modules (each with its own ``__all__``); import them by name
__all__ = [
    "analyses",
    "analysis_methods",
    "attachments",
    "documents",
    "files",
    "guard",
    "incident_search",
    "incident_tables",
    "incidents",
    "kinds",
    "labelled",
    "registry",
    "trail",
    "users",
    "views",
]
