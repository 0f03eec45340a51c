"""The SQL predicate and the reference monitor agree exactly (SQLite and PostgreSQL),
for reads (listings, searches, counts) and exports."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from nucsec.markings import Label
from nucsec.policy import Principal, Resource, decide
from nucsec.policy.sql import visible_label_ids
from nucsec.store.db import make_engine
from nucsec.store.labels import LABEL_TABLES, intern_label, resolve_basis
from nucsec.store.migrate import upgrade
from tests.strategies import CTX, labels, principals

LABELS_PER_EXAMPLE = 60
PRINCIPALS_PER_EXAMPLE = 4
EXAMPLES = 45  # 45 x 60 x 4 = 10,800 generated principal/label pairs


def test_sql_filter_equals_decide(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    pairs = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        st.lists(labels(), min_size=LABELS_PER_EXAMPLE, max_size=LABELS_PER_EXAMPLE),
        st.lists(principals(), min_size=PRINCIPALS_PER_EXAMPLE, max_size=PRINCIPALS_PER_EXAMPLE),
    )
    def check(generated: list[Label], people: list[Principal]) -> None:
        nonlocal pairs
        with engine.begin() as conn:
            ids = {}
            for label in generated:
                ids[intern_label(conn, label, CTX)] = resolve_basis(label, CTX)
            for person, action in ((p, a) for p in people for a in ("read", "export")):
                visible = {
                    row[0]
                    for row in conn.execute(
                        select(LABEL_TABLES.labels.c.id).where(
                            LABEL_TABLES.labels.c.id.in_(list(ids)),
                            LABEL_TABLES.labels.c.id.in_(
                                visible_label_ids(person, CTX, LABEL_TABLES, action)
                            ),
                        )
                    )
                }
                expected = {
                    i for i, lb in ids.items() if decide(person, action, Resource(lb), CTX).allowed
                }
                assert visible == expected, (person, [ids[i] for i in visible ^ expected])
                pairs += len(generated) if action == "read" else 0

    check()
    engine.dispose()
    assert pairs >= 10_000
