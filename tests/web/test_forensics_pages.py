"""Forensics pages: the spectrum page (upload or an attached file; plot data, nuclide
table, enrichment, share with a label), the age calculator (budget k=1/k=2, model date,
ingrowth SVG, save), shared analyses, and the files of a document."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import markupsafe

from nucsec.node import Node
from tests.web.conftest import TestClient, client_of, sign_in

Session = Callable[[str], tuple[TestClient, str]]
SPECTRA = Path(__file__).resolve().parents[1] / "data" / "spectra"
EU152 = SPECTRA / "curie_hpge_eu152_7cm.spe"  # Eu-152 calibration source, HPGe 16k
URANIUM = SPECTRA / "interspec_lynx_hpge_disk_U_Th_activation.n42"
LEU = SPECTRA / "interspec_SIM_fulcrum40h_hpge_U235_0300.txt"  # 3 % U-235, GADRAS HPGe
ABSENT = "00000000-0000-4000-8000-000000000000"


def _banner(page: str) -> str:
    top = re.search(r'data-testid="banner-top">\s*<span[^>]*>([^<]+)<', page)
    assert top is not None
    return top.group(1)


def _plot(page: str) -> dict:  # type: ignore[type-arg]
    found = re.search(r'<script type="application/json" id="plot-data">(.*?)</script>', page, re.S)
    assert found is not None
    return dict(json.loads(found.group(1)))


def test_upload_shows_nuclides_plot_and_share_form(session_of: Session) -> None:
    client, csrf = session_of("doe.analyst")
    r = client.post(
        "/spectra", data={"csrf_token": csrf}, files={"file": (EU152.name, EU152.read_bytes())}
    )
    assert r.status_code == 200
    names = re.findall(r'<tr data-nuclide="([^"]+)">', r.text)
    assert "Eu-152" in names  # the file's ground truth (MANIFEST.md)
    plot = _plot(r.text)
    assert len(plot["energy_kev"]) == len(plot["counts"]) == len(plot["fit"])
    assert any(line["nuclide"] == "Eu-152" and line["matched"] for line in plot["lines"])
    assert re.search(
        r'<input type="hidden" name="upload" value="[0-9a-f]{64}\.\d+\.[0-9a-f]{32}">', r.text
    )
    assert (
        'src="/static/spectrum.js"' in r.text and "<script>" not in r.text
    )  # CSP: no inline script
    assert _banner(r.text) == "UNCLASSIFIED"  # nothing labelled is shown yet


def test_upload_shows_the_enrichment_beside_the_plot(session_of: Session) -> None:
    """The enrichment panel sits next to the plot and shows what ``nucsec spectrum
    analyze`` shows: the value or k=2 range, class, method, quality flag, each fitted
    areal density with its uncertainty, chi-square."""
    from nucsec.forensics.spectra import analyze, read_spectrum

    client, csrf = session_of("doe.analyst")
    r = client.post(
        "/spectra", data={"csrf_token": csrf}, files={"file": (LEU.name, LEU.read_bytes())}
    )
    assert r.status_code == 200
    sf = read_spectrum(LEU)
    enr = analyze(sf.foreground(), background=sf.background()).to_dict()["enrichment"]
    side = re.search(
        r'<div class="plot-and-side">\s*<figure class="spectrum-plot".*?</figure>\s*'
        r'(<aside class="enrichment-panel" id="enrichment".*?</aside>)',
        r.text,
        re.S,
    )
    assert side is not None, "no enrichment panel beside the plot"
    panel = html.unescape(re.sub(r"<[^>]+>", " ", side.group(1)))
    panel = re.sub(r"\s+", " ", panel)
    low, high = enr["interval_k2_pct"]
    assert f"{low:.3f} to {high:.3f} wt% U-235 (k=2)" in panel
    assert f"[{enr['class']}]" in panel and enr["method"] in panel
    assert f"Quality {enr['quality']}" in panel
    for name, v in enr["areal_density_g_cm2"].items():
        assert f"{name} {v['value']:.3g} ± {v['unc']:.2g} g/cm²" in panel
    assert f"χ² {enr['chi2']:.1f} ({enr['dof']} dof)" in panel


def test_unreadable_upload_is_a_clear_422(session_of: Session) -> None:
    client, csrf = session_of("doe.analyst")
    r = client.post(
        "/spectra", data={"csrf_token": csrf}, files={"file": ("x.spe", b"\x00garbage" * 40)}
    )
    assert r.status_code == 422
    assert "not a readable spectrum file (x.spe)" in r.text
    assert (
        client.post("/spectra", data={"csrf_token": "bad"}, files={"file": ("x", b"1")}).status_code
        == 403
    )


def test_cut_off_upload_is_a_clear_422(session_of: Session) -> None:
    client, csrf = session_of("doe.analyst")
    cut = URANIUM.read_bytes()[: URANIUM.stat().st_size // 2]
    r = client.post("/spectra", data={"csrf_token": csrf}, files={"file": (URANIUM.name, cut)})
    assert r.status_code == 422
    assert "cut off" in html.unescape(r.text)
    assert '<tr data-nuclide="' not in r.text  # nothing analysed from the part that arrived
    r = client.post("/spectra", data={"csrf_token": csrf}, files={"file": ("empty.spe", b"")})
    assert r.status_code == 422 and "empty (0 bytes)" in html.unescape(r.text)


def test_share_an_uploaded_spectrum_under_a_label(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "doe.analyst")
    page = client.post(
        "/spectra", data={"csrf_token": csrf}, files={"file": (URANIUM.name, URANIUM.read_bytes())}
    ).text
    ticket = re.search(r'name="upload" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {
        "csrf_token": csrf,
        "upload": ticket,
        "name": URANIUM.name,
        "use_file_background": "on",
        "share_level": "SECRET",
        "share_dissem": "relto",
        "share_rel": "JPN",
        "prefixes": "share",
    }
    assert (
        client.post("/ui/banner-preview", data=form).json()["banner"][0]["text"]
        == "SECRET//REL TO USA, JPN"
    )
    r = client.post("/spectra/share", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:400]
    analysis = client.get(r.headers["location"]).text
    assert _banner(analysis) == "SECRET//REL TO USA, JPN"
    names = set(re.findall(r'<tr data-nuclide="([^"]+)">', analysis))
    assert {"U-238", "Ra-226"} & names and "Th-232" in names  # MANIFEST.md: U/Ra and Th chains
    assert URANIUM.name in analysis and "sandiaspecutils" in analysis
    assert _plot(analysis)["peaks"]
    npa = client_of(fresh_node)
    sign_in(npa, "npa.analyst")
    assert npa.get(r.headers["location"]).status_code == 200
    listing = npa.get("/analyses").text
    assert 'data-testid="analysis-count">1 analysis' in listing
    mext = client_of(fresh_node)
    sign_in(mext, "mext.analyst")  # HI clearance: below SECRET
    assert mext.get(r.headers["location"]).status_code == 404
    assert 'data-testid="analysis-count">0 analyses' in mext.get("/analyses").text


def test_analyse_an_attached_file_carries_its_label(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "dhs.chief")
    ids = re.findall(
        r'href="/incidents/([0-9a-f-]{36})"',
        client.get("/incidents", params={"q": "DEMO-US-2024-003"}).text,
    )
    files = {"file": ("cs.xml", (SPECTRA / "suro_rc101_cs137_EG3X.xml").read_bytes())}
    client.post(f"/incidents/{ids[0]}/attachments", data={"csrf_token": csrf}, files=files)
    page = client.get(f"/incidents/{ids[0]}").text
    link = re.search(r'href="(/spectra\?[^"]+)">Analyse spectrum', page).group(1)  # type: ignore[union-attr]
    shown = client.get(html.unescape(link))
    assert shown.status_code == 200
    assert _banner(shown.text) == "SECRET//NOFORN"  # the file's label
    assert "Cs-137" in re.findall(r'<tr data-nuclide="([^"]+)">', shown.text)
    npa = client_of(fresh_node)
    sign_in(npa, "npa.analyst")
    hidden = npa.get(html.unescape(link))
    absent = npa.get(html.unescape(link).replace(ids[0], ABSENT))
    assert hidden.status_code == absent.status_code == 404
    assert hidden.text.replace(ids[0], "X") == absent.text.replace(ABSENT, "X")


def test_age_calculator_budget_model_date_and_save(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "npa.analyst")
    query = {
        "chronometer": "Th-230/U-234",
        "ratio": "1.41148e-4",
        "ratio_unc": "7.06e-7",
        "measured_on": "2024-05-01",
        "half_lives": "icrp107",
    }
    page = client.get("/age", params=query).text
    assert re.search(r'id="age-value"><strong>(49\.99\d*|50(\.0*)?) ± ', page)  # issue 7: 50 y
    assert 'id="model-date"><strong><time>1974-' in page
    assert "(k=1)" in page and "(k=2)" in page
    assert page.count('<tr><th scope="row">') >= 3  # ratio and two half-lives
    assert "<svg" in page and "measured ratio ± 2u (k=2)" in page
    params = html.unescape(re.search(r'name="params" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    form = {
        "csrf_token": csrf,
        "params": params,
        "share_level": "HI",
        "share_dissem": "relto",
        "share_rel": "USA",
    }
    r = client.post("/age/save", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    saved = client.get(r.headers["location"]).text
    assert "Model age Th-230/U-234" in saved and "<svg" in saved
    assert _banner(saved).startswith("秘")
    # marked as documents are: a coloured portion mark, the marking in each scheme's own
    # script (no romaji beside kanji), the parameters as named values, not raw JSON
    title = re.search(r'<h1 id="analysis-title"><span class="portion ([^"]+)"', saved)
    assert title is not None and "rank-" in title.group(1)
    marks = re.findall(r'<span class="marking-inline" lang="(\w+)" data-nation="(\w+)">', saved)
    assert ("ja", "JPN") in marks and ("en", "USA") in marks
    marking_row = saved.split("<dt>Marking</dt>")[1].split("</dd>")[0]
    assert "秘//REL TO JPN, USA" in marking_row and "HI//" not in marking_row
    params_block = saved.split('id="analysis-params"')[1].split("</dl>")[0]
    assert "<dt>chronometer</dt><dd>Th-230/U-234</dd>" in params_block
    assert "{&#34;" not in params_block and '{"' not in params_block
    bad = client.get("/age", params={**query, "ratio": "-1"})
    assert bad.status_code == 422 and 'id="form-error"' in bad.text
    forged = client.post("/age/save", data={**form, "params": "[]"})
    assert forged.status_code == 422


def test_document_files_page(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "doe.analyst")
    doc = re.findall(
        r'href="/documents/([0-9a-f-]{36})"',
        client.get("/documents", params={"q": "Long Beach"}).text,
    )[0]
    files = {"file": ("survey.spe", EU152.read_bytes())}
    form = {"csrf_token": csrf, "share_level": "SECRET", "share_dissem": "noforn"}
    r = client.post(f"/documents/{doc}/attachments", data=form, files=files, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    page = client.get(f"/documents/{doc}/attachments").text
    assert "survey.spe" in page and "(S//NF)" in page
    assert _banner(page) == "SECRET//NOFORN"
    npa = client_of(fresh_node)
    sign_in(npa, "npa.analyst")
    token_page = npa.get(f"/documents/{doc}")
    assert token_page.status_code == 404  # the document's banner now rolls up NOFORN


def test_a_script_end_tag_in_stored_plot_data_stays_data(fresh_node: Node) -> None:
    """A peak label holding ``</script>`` and markup (a partner's analysis) is serialised
    with escaping: the page's plot data parses back to the stored value and no markup of
    the label reaches the page (the review rendered a phishing form and a meta refresh)."""
    from tests.web.stored import INJECTION, spectrum_portions, store_analysis

    result, plot = spectrum_portions()
    plot["peaks"][0]["label"] = INJECTION
    result["peaks"][0]["label"] = INJECTION
    analysis_id = store_analysis(fresh_node, result, plot)
    client = client_of(fresh_node)
    sign_in(client, "doe.analyst")
    r = client.get(f"/analyses/{analysis_id}")
    assert r.status_code == 200
    assert _plot(r.text)["peaks"][0]["label"] == INJECTION
    assert '<form id="phish"' not in r.text and 'http-equiv="refresh"' not in r.text
    assert str(markupsafe.escape(INJECTION)) in r.text  # the peaks table shows it as text


def test_a_stored_analysis_that_breaks_its_schema_is_shown_not_an_error(
    fresh_node: Node,
) -> None:
    """A stored analysis whose peak energy is a text (a partner's, before import checked
    it) answers 200 with the reason and the raw JSON, never 500."""
    from tests.web.stored import spectrum_portions, store_analysis

    result, plot = spectrum_portions()
    result["peaks"][0]["energy_kev"] = "32.181"
    analysis_id = store_analysis(fresh_node, result, plot)
    client = client_of(fresh_node)
    sign_in(client, "doe.analyst")
    r = client.get(f"/analyses/{analysis_id}")
    assert r.status_code == 200, r.text[:300]
    assert "result.peaks.0.energy_kev" in r.text
    assert "32.181" in r.text  # the stored value, shown as data
