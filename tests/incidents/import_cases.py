"""A CSV import in which one incident is refused by the reference monitor (not by the CSV
reader), and what "nothing written" means: shared by the tests of every import path
(service, CLI, REST API, web form) that hold the import all-or-nothing."""

from __future__ import annotations

import csv
import io

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from nucsec.audit.keys import public_key_pem
from nucsec.federation.peers import add_peer
from nucsec.federation.tables import exchange_outbox
from nucsec.incidents.csvio import COLUMNS
from nucsec.node import Node
from nucsec.service.incident_tables import incident_facts
from nucsec.store.schema import record_versions, records

#: the importer (clearance SECRET) and the label of the imported facts
IMPORTER = "doe.analyst"
FACTS_LABEL = "SECRET//REL TO USA, JPN"


def refused_row_csv() -> str:
    """Two new incidents; the second has a narrative paragraph above the importer's
    clearance, which the CSV reader accepts and the monitor refuses at create."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS)
    writer.writeheader()
    facts = {"record": "incident", "incident_date": "2020-01-01", "report_date": "2020-01-02"}
    facts |= {"country": "US", "incident_type": "theft", "itdb_group": "III"}
    for reference in ("AON-1", "AON-2"):
        writer.writerow({c: "" for c in COLUMNS} | facts | {"reference": reference})
    writer.writerow(
        {c: "" for c in COLUMNS}
        | {"reference": "AON-2", "record": "portion", "label": "TOP SECRET//NOFORN", "text": "x"}
    )
    return out.getvalue()


def add_partner(node: Node) -> None:
    """A federation peer (JPN), so that a written incident would be queued for release."""
    key = public_key_pem(Ed25519PrivateKey.generate().public_key())
    with node.engine.begin() as conn:
        add_peer(node, conn, name="jpn", nation="JPN", url="http://127.0.0.1:9", public_key=key)


def written(node: Node) -> dict[str, int]:
    """Counts that any write of an import changes: records, versions, the register's
    facts and the outbox."""
    with node.engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
            for t in (records, record_versions, incident_facts, exchange_outbox)
        }
