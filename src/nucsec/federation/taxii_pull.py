"""Pull a collection from a third-party TAXII 2.1 server into the STIX import (adapter).

``nucsec import taxii URL --collection ID --label L --as USER``: every object of the
collection (``taxii2-client``, page by page; the same size and object limits as a bundle
file) becomes one bundle, imported by :func:`nucsec.federation.stix_import.import_stix`
under the officer's label — the same rules, refusals, provenance and idempotence (a pull
that brings nothing new changes nothing). ``URL`` is the server's API root; the bundle id
is derived from the collection URL, so its provenance names where it came from.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from nucsec.errors import InputError, PeerError
from nucsec.federation.ingest import LIMITS, IngestError, Limits
from nucsec.federation.stix_import import import_stix
from nucsec.markings.label import Label
from nucsec.node import Node
from nucsec.policy import Principal

__all__ = ["collection_url", "pull_taxii"]


def collection_url(api_root: str, collection: str) -> str:
    """The URL of a collection of an API root.

    >>> collection_url("http://127.0.0.1:8000/api1", "91a7b528-80eb-42ed-a74d-c6fbd5a26116")
    'http://127.0.0.1:8000/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/'
    """
    try:
        parsed = uuid.UUID(collection)
    except ValueError:
        raise InputError("a collection id is a UUID", field="collection") from None
    if not api_root.startswith(("http://", "https://")):
        raise InputError("the API root must be an http(s) URL", field="url")
    return f"{api_root.rstrip('/')}/collections/{parsed}/"


def _objects(
    url: str, user: str | None, password: str | None, page: int, limits: Limits
) -> list[Any]:
    from taxii2client.exceptions import TAXIIServiceException
    from taxii2client.v21 import Collection, as_pages

    objects: list[Any] = []
    size = 0
    try:
        collection = Collection(url, user=user, password=password)
        for envelope in as_pages(collection.get_objects, per_request=page):
            batch = envelope.get("objects", []) if isinstance(envelope, dict) else []
            objects.extend(batch)
            size += len(json.dumps(batch))
            if len(objects) > limits.max_objects or size > limits.max_bytes:
                raise IngestError("the collection is beyond the bundle limits", field="collection")
    except IngestError:
        raise
    except (TAXIIServiceException, OSError, ValueError) as exc:
        raise PeerError(f"TAXII server {url}: {exc}") from None
    return objects


def pull_taxii(
    node: Node,
    principal: Principal,
    api_root: str,
    collection: str,
    label: Label,
    *,
    user: str | None = None,
    password: str | None = None,
    page_size: int = 100,
    limits: Limits = LIMITS,
) -> dict[str, Any]:
    """Import every object of a TAXII 2.1 collection under ``label`` (the result of
    :func:`~nucsec.federation.stix_import.import_stix`, plus ``collection``)."""
    url = collection_url(api_root, collection)
    objects = _objects(url, user, password, page_size, limits)
    bundle_id = f"bundle--{uuid.uuid5(uuid.NAMESPACE_URL, url)}"
    text = json.dumps({"type": "bundle", "id": bundle_id, "objects": objects})
    result = import_stix(node, principal, text, label, limits=limits)
    return {"collection": url, **result}
