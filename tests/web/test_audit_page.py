"""The auditors' page: filters, paging beyond the newest 50, CSV and JSON export, and a
verification run in the background whose stored result the page shows (issue 18)."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable

from fastapi.testclient import TestClient

Session = Callable[[str], tuple[TestClient, str]]


def _seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr class="outcome-\w+"><td>(\d+)</td>', html)]


def test_filters_paging_and_export(session_of: Session) -> None:
    client, _ = session_of("usa.auditor")
    reader, _ = session_of("doe.analyst")
    for _ in range(60):  # each listing is an audited event
        assert reader.get("/documents").status_code == 200
    first = client.get("/audit").text
    newest = _seqs(first)
    assert len(newest) == 50 and newest == sorted(newest, reverse=True)
    older = re.search(r'href="/audit\?before=(\d+)" id="older"', first)
    assert older is not None and int(older.group(1)) == newest[-1]
    second = _seqs(client.get("/audit", params={"before": older.group(1)}).text)
    assert second and max(second) < min(newest)  # the next page, no overlap

    logins = client.get("/audit", params={"action": "auth.login"}).text
    actions = re.findall(r"<td>([a-z_.]+)</td><td>(?:<code>|<span)", logins)
    assert actions and all(a.startswith("auth.login") for a in actions)
    mine = client.get("/audit", params={"actor": "usa.auditor", "outcome": "success"}).text
    names = re.findall(r"</time></td><td>([^<]+)</td>", mine)
    assert names and set(names) == {"usa.auditor"}
    bad = client.get("/audit", params={"outcome": "maybe"})
    assert bad.status_code == 422 and 'id="form-error"' in bad.text
    assert client.get("/audit", params={"since": "yesterday"}).status_code == 422

    exported = client.get("/audit/export", params={"format": "csv", "action": "auth.login"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows and all(r["action"].startswith("auth.login") for r in rows)
    as_json = client.get("/audit/export", params={"format": "json", "actor": "usa.auditor"})
    assert {e["actor_name"] for e in as_json.json()} == {"usa.auditor"}
    # exporting is itself recorded
    latest = client.get("/audit/export", params={"format": "json"}).json()
    assert any((e.get("details") or {}).get("view") == "export" for e in latest)


def test_background_verification_is_stored_and_shown(session_of: Session) -> None:
    client, csrf = session_of("usa.auditor")
    page = client.get("/audit").text
    started = client.post("/audit/verify", data={"csrf_token": csrf}, follow_redirects=False)
    assert started.status_code == 303
    deadline = time.monotonic() + 120  # waiting for the thread, not timing it
    while time.monotonic() < deadline:
        page = client.get("/audit").text
        if 'id="verify-stored">OK' in page and "verify-running" not in page:
            break
        time.sleep(0.5)
    stored = r'id="verify-stored">OK · <time>[^<]+</time> by usa.auditor · \d+ events'
    assert re.search(stored, page)
    assert client.post("/audit/verify", data={"csrf_token": "x"}).status_code == 403
