"""The HTML pages of the analyst UI, one module per resource (documents, incidents,
forensics and analyses, forensic cases and their forms, practices, facilities,
attachments of any record kind, administration), and the helpers
only pages use (label picker, charts, world map)."""

#: the package's public modules (each with its own ``__all__``); import them by name
__all__ = [
    "admin",
    "attachments",
    "case_forms",
    "cases",
    "charts",
    "common",
    "documents",
    "facilities",
    "forensics",
    "incidents",
    "picker",
    "practices",
    "release",
    "session",
    "spectrum_tools",
    "worldmap",
]
