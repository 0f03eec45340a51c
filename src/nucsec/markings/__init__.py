"""Protective markings: labels, national schemes, equivalence tables, banners.

The legal framework as code and data. Pure: no database, no network, no clock.
"""

from nucsec.markings.banner import (
    parse_banner,
    parse_label,
    parse_portion,
    render_banner,
    render_in,
    render_portion,
    renderings,
)
from nucsec.markings.context import MarkingContext, context_for, default_context, load_context
from nucsec.markings.errors import LabelError, SchemeError
from nucsec.markings.label import Label
from nucsec.markings.rollup import rollup
from nucsec.markings.scheme import EquivalenceTable, Level, NationalScheme

__all__ = [
    "EquivalenceTable",
    "Label",
    "LabelError",
    "Level",
    "MarkingContext",
    "NationalScheme",
    "SchemeError",
    "context_for",
    "default_context",
    "load_context",
    "parse_banner",
    "parse_label",
    "parse_portion",
    "render_banner",
    "render_in",
    "render_portion",
    "renderings",
    "rollup",
]
