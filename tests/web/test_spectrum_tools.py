"""Spectrum tools routes (issue 18): the peak fits handed to the plot's click-a-peak panel,
the peaks CSV (same access as the page: a hidden analysis or file answers 404 like an
absent one; CSV-injection safe), and the reference lines of any nuclide for the overlay."""

from __future__ import annotations

import csv
import html
import io
import json
import re

from nucsec.node import Node
from nucsec.web.pages.spectrum_tools import peak_details, peaks_csv
from tests.web.conftest import client_of, sign_in
from tests.web.test_forensics_pages import ABSENT, EU152, SPECTRA, Session

CS137 = SPECTRA / "suro_rc101_cs137_EG3X.xml"


def _tools(page: str) -> dict:  # type: ignore[type-arg]
    found = re.search(r'<script type="application/json" id="peak-data">(.*?)</script>', page, re.S)
    assert found is not None
    return dict(json.loads(found.group(1)))


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_upload_hands_every_peak_fit_and_a_csv_of_the_same_peaks(session_of: Session) -> None:
    client, csrf = session_of("doe.analyst")
    r = client.post(
        "/spectra", data={"csrf_token": csrf}, files={"file": (EU152.name, EU152.read_bytes())}
    )
    assert r.status_code == 200
    tools = _tools(r.text)
    peaks = tools["peaks"]
    assert tools["n_channels"] == 16384 and len(peaks) > 20
    # the 344.28 keV line of Eu-152 (from its Gd-152 daughter): a peak near it, fitted in a
    # region around it with a reduced chi2, and the Eu-152 line assigned to it
    p344 = min(peaks, key=lambda p: abs(p["energy_kev"] - 344.28))
    assert abs(p344["energy_kev"] - 344.28) < 1.0
    assert p344["region_lo_kev"] < p344["energy_kev"] < p344["region_hi_kev"]
    assert p344["region_reduced_chi2"] is not None and p344["region_reduced_chi2"] > 0
    assert p344["unc"] > 0 and p344["significance"] > 10
    assert any(
        x["nuclide"] == "Eu-152" and abs(x["energy_kev"] - 344.28) < 0.1 for x in p344["lines"]
    )
    link = html.unescape(re.search(r'href="([^"]+)" id="download-csv"', r.text).group(1))  # type: ignore[union-attr]
    got = client.get(link)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    rows = _rows(got.text)
    assert [float(row["energy_kev"]) for row in rows] == [p["energy_kev"] for p in peaks]
    row = rows[peaks.index(p344)]
    assert "Eu-152 344.2" in row["lines"] and float(row["region_reduced_chi2"]) > 0
    # another user cannot use the uploader's ticket
    other, _ = session_of("npa.analyst")
    assert other.get(link).status_code == 422


def test_saved_analysis_peaks_csv_answers_hidden_as_absent(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "doe.analyst")
    page = client.post(
        "/spectra", data={"csrf_token": csrf}, files={"file": (EU152.name, EU152.read_bytes())}
    ).text
    ticket = re.search(r'name="upload" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {
        "csrf_token": csrf,
        "upload": ticket,
        "name": EU152.name,
        "use_file_background": "on",
        "share_level": "SECRET",
        "share_dissem": "relto",
        "share_rel": "JPN",
        "prefixes": "share",
    }
    url = client.post("/spectra/share", data=form, follow_redirects=False).headers["location"]
    saved = client.get(url).text
    tools = _tools(saved)
    assert tools["csv_url"] == f"{url}/peaks.csv"
    assert all(p["region_reduced_chi2"] is None for p in tools["peaks"])  # not stored
    assert 'id="fit-chi2" data-none="not stored with a saved analysis"' in saved
    rows = _rows(client.get(f"{url}/peaks.csv").text)
    assert [float(r["energy_kev"]) for r in rows] == [p["energy_kev"] for p in tools["peaks"]]
    assert {r["marking"] for r in rows} == {"(S//REL TO USA, JPN)"}  # the result's mark
    mext = client_of(fresh_node)
    sign_in(mext, "mext.analyst")  # HI clearance: below SECRET
    hidden = mext.get(f"{url}/peaks.csv")
    absent = mext.get(f"/analyses/{ABSENT}/peaks.csv")
    assert hidden.status_code == absent.status_code == 404
    analysis_id = url.rsplit("/", 1)[1]
    assert hidden.text.replace(analysis_id, "X") == absent.text.replace(ABSENT, "X")


def test_attached_file_peaks_csv_answers_hidden_as_absent(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "dhs.chief")
    ids = re.findall(
        r'href="/incidents/([0-9a-f-]{36})"',
        client.get("/incidents", params={"q": "DEMO-US-2024-003"}).text,
    )
    files = {"file": ("cs.xml", CS137.read_bytes())}
    client.post(f"/incidents/{ids[0]}/attachments", data={"csrf_token": csrf}, files=files)
    link = re.search(
        r'href="(/spectra\?[^"]+)">Analyse spectrum', client.get(f"/incidents/{ids[0]}").text
    )
    shown = client.get(html.unescape(link.group(1))).text  # type: ignore[union-attr]
    csv_url = html.unescape(re.search(r'href="([^"]+)" id="download-csv"', shown).group(1))  # type: ignore[union-attr]
    rows = _rows(client.get(csv_url).text)
    # a scintillator: the 661.7 keV line is assigned to a peak a few per cent off it
    assert any(
        "Cs-137 661.6" in r["lines"] and abs(float(r["energy_kev"]) / 661.66 - 1) < 0.05
        for r in rows
    )
    assert {r["marking"] for r in rows} == {"(S//NF)"}  # the file's portion mark
    npa = client_of(fresh_node)
    sign_in(npa, "npa.analyst")  # the file is SECRET//NOFORN
    hidden = npa.get(csv_url)
    absent = npa.get(csv_url.replace(ids[0], ABSENT))
    assert hidden.status_code == absent.status_code == 404
    assert hidden.text.replace(ids[0], "X") == absent.text.replace(ABSENT, "X")


def test_peaks_csv_guards_formula_cells() -> None:
    result = {
        "peaks": [
            {
                "energy_kev": 100.0,
                "fwhm_kev": 1.0,
                "net_counts": 5.0,
                "unc": 1.0,
                "label": "=HYPERLINK(1)",
            },
            {"energy_kev": 200.0, "fwhm_kev": 1.0, "net_counts": -3.5, "unc": 1.0, "label": "@x"},
        ],
        "nuclides": [
            {
                "name": "+cmd",
                "matched_lines": [{"peak_energy_kev": 100.0, "energy_kev": 100.1, "emitter": "X"}],
            }
        ],
    }
    rows = _rows(peaks_csv(peak_details(result)))
    assert rows[0]["label"] == "'=HYPERLINK(1)" and rows[1]["label"] == "'@x"
    assert rows[0]["lines"] == "'+cmd 100.1"
    assert rows[1]["net_counts"] == "-3.5"  # a negative number stays a number
    # without the fresh fit, the region is 3 FWHM either side and its chi2 unknown
    assert rows[0]["region_lo_kev"] == "97.0" and rows[0]["region_reduced_chi2"] == ""


def test_reference_lines_for_any_library_nuclide(session_of: Session) -> None:
    client, _ = session_of("npa.analyst")
    names = client.get("/spectra/lines").json()["nuclides"]
    assert {"Cs-137", "Co-60", "U-235"} <= set(names)
    co = client.get("/spectra/lines", params={"nuclide": "co60"}).json()
    assert co["nuclide"] == "Co-60"
    energies = sorted(round(x["energy_kev"]) for x in co["lines"] if x["intensity_pct"] > 50)
    assert energies == [1173, 1332]  # Co-60: 1173.2 and 1332.5 keV (ENSDF: 99.85 %, 99.98 %)
    assert client.get("/spectra/lines", params={"nuclide": "Xx-999"}).status_code == 404
    assert client.get("/spectra/lines", params={"nuclide": "not a name"}).status_code == 404
    anonymous = client_of_anonymous(client)
    assert anonymous.get("/spectra/lines", follow_redirects=False).status_code in (303, 401)


def client_of_anonymous(client: object) -> object:
    from starlette.testclient import TestClient

    assert isinstance(client, TestClient)
    return TestClient(client.app)


#: a point-geometry efficiency curve (counts per emitted photon), falling with energy
EFFICIENCY_CSV = (
    "# point source, 10 cm\nenergy_kev,efficiency\n100,0.05\n300,0.02\n1000,0.008\n1500,0.006\n"
)


def _activity(page: str, nuclide: str) -> tuple[float, float]:
    row = re.search(rf'<tr data-nuclide="{nuclide}">.*?</tr>', page, re.S)
    assert row is not None
    found = re.search(r"activity ([\d.e+-]+) ± ([\d.e+-]+) Bq", html.unescape(row.group(0)))
    assert found is not None, row.group(0)[:600]
    return float(found.group(1)), float(found.group(2))


def test_activity_with_an_efficiency_csv_as_the_cli_computes_it(session_of: Session) -> None:
    from nucsec.forensics.spectra import Efficiency, analyze, read_spectrum

    client, csrf = session_of("doe.analyst")
    files = {
        "file": (EU152.name, EU152.read_bytes()),
        "efficiency": ("eff.csv", EFFICIENCY_CSV.encode()),
    }
    r = client.post("/spectra", data={"csrf_token": csrf}, files=files)
    assert r.status_code == 200
    value, unc = _activity(r.text, "Eu-152")
    sf = read_spectrum(EU152)
    points = [(100, 0.05), (300, 0.02), (1000, 0.008), (1500, 0.006)]
    expected = analyze(
        sf.foreground(), background=sf.background(), efficiency=Efficiency.from_points(points)
    ).activities["Eu-152"]
    assert abs(value / expected.activity_bq - 1) < 1e-3  # shown with 4 significant digits
    assert abs(unc / expected.activity_unc_bq - 1) < 0.05
    assert 'id="activity-note"' in r.text and "eff.csv" in r.text
    # without the efficiency file: no activity
    plain = client.post(
        "/spectra", data={"csrf_token": csrf}, files={"file": (EU152.name, EU152.read_bytes())}
    )
    assert "Bq (k=1)" not in plain.text and 'id="activity-note"' not in plain.text


def test_a_bad_efficiency_csv_is_a_typed_error_and_stores_nothing(fresh_node: Node) -> None:
    from sqlalchemy import func, select

    from nucsec.audit.tables import audit_events

    def stored() -> tuple[int, int]:
        root = fresh_node.settings.home / "files"
        files = sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0
        with fresh_node.engine.connect() as conn:
            staged = select(func.count()).where(audit_events.c.action == "file.stage")
            return files, int(conn.execute(staged).scalar() or 0)

    client = client_of(fresh_node)
    csrf = sign_in(client, "doe.analyst")
    before = stored()
    for bad, reason in (
        (b"energy_kev,efficiency\nabc,def\n", "no 'energy_kev,efficiency' rows"),
        (b"100,0.05\n300,-0.02\n", "positive energies and efficiencies"),
        (b"\xff\xfe\x00bad", "not UTF-8 text"),
    ):
        files = {"file": (EU152.name, EU152.read_bytes()), "efficiency": ("eff.csv", bad)}
        r = client.post("/spectra", data={"csrf_token": csrf}, files=files)
        assert r.status_code == 422, r.text[:300]
        error = re.search(r'<p class="error" role="alert" id="form-error">([^<]*)</p>', r.text)
        assert error is not None and reason in html.unescape(error.group(1))
        assert '<tr data-nuclide="' not in r.text
    assert stored() == before  # no file kept, no staging audited


def test_the_subtracted_background_is_handed_to_the_plot(session_of: Session) -> None:
    """A file with a background (the InterSpec Lynx disk: 86,400 s foreground, 345,600 s
    background): the plot may overlay it, scaled to the foreground's live time; its total
    is the background file's counts times 86,400 / 345,600."""
    from nucsec.forensics.spectra import read_spectrum

    uranium = SPECTRA / "interspec_lynx_hpge_disk_U_Th_activation.n42"
    client, csrf = session_of("doe.analyst")
    files = {"file": (uranium.name, uranium.read_bytes())}
    r = client.post("/spectra", data={"csrf_token": csrf}, files=files)
    background = _tools(r.text)["background"]
    plot = re.search(r'<script type="application/json" id="plot-data">(.*?)</script>', r.text, re.S)
    assert plot is not None and len(background) == len(json.loads(plot.group(1))["energy_kev"])
    sf = read_spectrum(uranium)
    expected = sf.background().counts.sum() * sf.foreground().live_time_s / 345_600
    assert abs(sum(background) / expected - 1) < 1e-3 and min(background) >= 0
    assert 'id="show-background"' in r.text
    ignored = client.post(
        "/spectra", data={"csrf_token": csrf, "no_file_background": "on"}, files=files
    )
    assert _tools(ignored.text)["background"] is None
    assert 'id="show-background"' not in ignored.text
