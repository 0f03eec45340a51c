"""Library entries federate by label like any record: what the markings release to JPN
arrives (validated by the kind's check) and is readable and matchable there; NOFORN entries
never leave; a received entry is never used to answer a partner's query."""

from __future__ import annotations

from pathlib import Path

from nucsec.service.library import LIBRARY_ENTRY, list_entries, match_sample
from nucsec.service.library_queries import usable_for_partner
from nucsec.service.users import principal_of
from tests.federation.conftest import local_nodes, outbox_objects, pin, receive
from tests.library.samples import UCLO_SAMPLE


def test_entries_travel_by_label_and_match_at_the_partner(tmp_path: Path) -> None:
    from nucsec.demo import seed_library
    from nucsec.federation.peers import peer_principal
    from nucsec.forensics.library import sample_from_dict

    with local_nodes(tmp_path) as make:
        usa, jpn = make("USA"), make("JPN")
        for node in (usa, jpn):
            seed_library(node, {node.nation})
        pin(usa, jpn, "jpn")
        pin(jpn, usa, "usa")
        sent = [o for o in outbox_objects(usa, "jpn") if o["type"] == LIBRARY_ENTRY.wire.stix_type]
        doe = principal_of(usa, "doe.analyst")
        local = {s.entry: s.banner for s in list_entries(usa, doe)}
        releasable = {e for e, banner in local.items() if "NOFORN" not in banner}
        assert len(sent) == len(releasable) and any("NOFORN" in b for b in local.values())
        result = receive(jpn, "usa", outbox_objects(usa, "jpn"))
        assert result.rejected == []
        npa = principal_of(jpn, "npa.analyst")
        arrived = {s.entry: s for s in list_entries(jpn, npa) if s.origin}
        assert set(arrived) == releasable
        assert all(s.origin == "usa" for s in arrived.values())
        # JPN holds the CRMs itself too: two UCLO-1 entries (its own and USA's), told
        # apart by record id, which no measurement can tell apart: inconclusive, not a pick
        out = match_sample(jpn, npa, sample_from_dict(UCLO_SAMPLE), library="crm")
        names = [c["entry"] for c in out["candidates"]]
        assert len(names) == 2 and all(n.startswith("UCLO-1@") for n in names)
        assert arrived["UCLO-1"].id in {n.partition("@")[2] for n in names}
        assert out["conclusion"] == "inconclusive"
        # JPN answers USA's queries over its own holdings only, never what USA sent it
        with jpn.engine.connect() as conn:
            usable = usable_for_partner(jpn, conn, peer_principal(jpn, "USA", "usa"))
        assert usable and not {h.record_id for h in usable} & {s.id for s in arrived.values()}
        assert {h.entry.id for h in usable} >= {"JPN-SYN-0000000", "UCLO-1"}
