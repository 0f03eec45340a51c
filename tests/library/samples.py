"""Samples shared by the library's service, CLI and API tests."""

from __future__ import annotations

#: a re-measurement of the CRM UCLO-1 (consistent with it, excluded from UCHI-1)
UCLO_SAMPLE = {
    "id": "S-17",
    "material_type": "uoc",
    "signatures": [
        {"name": "n(235U)/n(238U)", "value": 0.0072563, "u": 6.5e-7, "unit": "mol/mol"},
        {"name": "n(234U)/n(238U)", "value": 5.304e-5, "u": 3.5e-8, "unit": "mol/mol"},
    ],
}
