"""Web service: FastAPI app with the REST API, TAXII routes and HTML pages."""

#: the package's public modules (each with its own ``__all__``); import them by name
__all__ = [
    "access",
    "api",
    "app",
    "audit_view",
    "auth",
    "banners",
    "deps",
    "errors",
    "pages",
    "passwords",
    "security",
    "server",
    "tables",
    "tokens",
    "views",
]
