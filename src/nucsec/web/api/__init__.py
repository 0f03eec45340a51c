"""The REST API under ``/api/v1``, one module per resource (documents, incidents,
forensics and analyses, attachments of any record kind, cases), their request and response
models and shared helpers."""

#: the package's public modules (each with its own ``__all__``); import them by name
__all__ = [
    "accounts",
    "attachments",
    "audit",
    "cases",
    "common",
    "documents",
    "forensics",
    "incidents",
    "interop",
    "library",
    "markings",
    "record_schemas",
    "schemas",
]
