"""Application services: each operation is one transaction that asks the reference
monitor, writes the audit event and touches the store — the one path every interface
(CLI, REST, HTML, TAXII) goes through."""
