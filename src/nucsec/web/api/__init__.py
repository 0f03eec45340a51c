"""The REST API under ``/api/v1``, one module per resource (documents, incidents,
forensics and analyses, attachments of any record kind), their request and response
models and shared helpers."""
