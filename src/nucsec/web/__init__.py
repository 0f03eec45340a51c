"""Web service: FastAPI app with the REST API, TAXII routes and HTML pages."""
