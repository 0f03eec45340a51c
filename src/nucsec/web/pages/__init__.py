"""The HTML pages of the analyst UI, one module per resource (documents, incidents,
forensics and analyses, attachments of any record kind, administration), and the helpers
only pages use (label picker, charts, world map)."""

#: the package's public modules (each with its own ``__all__``); import them by name
__all__ = [
    "admin",
    "attachments",
    "charts",
    "common",
    "documents",
    "forensics",
    "incidents",
    "picker",
    "session",
    "worldmap",
]
