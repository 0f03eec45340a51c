"""The HTML pages of the analyst UI, one module per resource (documents, incidents,
forensics and analyses, attachments of any record kind, administration), and the helpers
only pages use (label picker, charts, world map)."""
