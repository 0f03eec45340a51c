"""Small helpers shared by the CLI modules: JSON output and the ``--json`` flag."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

json_option = click.option("--json", "as_json", is_flag=True, help="print JSON")


def to_json(data: Any) -> str:
    """Serialise for ``--json`` output: UTF-8, the services' views as their JSON, dates and
    paths as strings."""
    from nucsec.service.views import to_json as json_of

    return json.dumps(json_of(data), ensure_ascii=False, indent=2, default=str)


def renderings_line(banners: dict[str, str]) -> str:
    """A record's banner in every agreement nation's scheme, on one line.

    >>> renderings_line({"USA": "SECRET", "JPN": "極秘"})
    'USA: SECRET · JPN: 極秘'
    """
    return " · ".join(f"{nation}: {text}" for nation, text in banners.items())


def emit(data: T, as_json: bool, human: Callable[[T], str] | None = None) -> None:
    """Print ``data`` as JSON, or through ``human`` (default: JSON as well)."""
    if as_json or human is None:
        click.echo(to_json(data))
    else:
        click.echo(human(data))
