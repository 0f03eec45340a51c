"""Demo data of the working group: agencies' users and a dozen labelled documents.

Used only by ``nucsec init --demo`` and ``make demo``. Demo users get the password printed
by the demo (outside a demo node there are no default credentials).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from nucsec.markings import Label, parse_banner
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.service.documents import DocumentInput, create_document
from nucsec.service.users import create_user, get_user

__all__ = ["DEMO_DOCUMENTS", "DEMO_PASSWORD", "DEMO_USERS", "seed"]

#: printed by the demo; a demo node is for demonstration only
DEMO_PASSWORD = "demo-only-password"  # noqa: S105 - the demo's documented login

_ALL = ["FORENSICS", "ITDB", "PHYSPROT"]

DEMO_USERS: list[dict[str, Any]] = [
    # United States: one section chief per agency, analysts, security officer, auditor
    {
        "username": "doe.chief",
        "display_name": "DOE section chief",
        "nation": "USA",
        "agency": "DOE",
        "clearance": "TOP SECRET",
        "compartments": _ALL,
        "roles": ["officer"],
    },
    {
        "username": "dhs.chief",
        "display_name": "DHS section chief",
        "nation": "USA",
        "agency": "DHS",
        "clearance": "SECRET",
        "compartments": ["ITDB"],
        "roles": ["officer"],
    },
    {
        "username": "dos.chief",
        "display_name": "DOS section chief",
        "nation": "USA",
        "agency": "DOS",
        "clearance": "SECRET",
        "compartments": [],
        "roles": ["officer"],
    },
    {
        "username": "doe.analyst",
        "display_name": "DOE laboratory analyst",
        "nation": "USA",
        "agency": "DOE",
        "clearance": "SECRET",
        "compartments": ["FORENSICS"],
        "roles": ["analyst"],
    },
    {
        "username": "dhs.analyst",
        "display_name": "DHS detection analyst",
        "nation": "USA",
        "agency": "DHS",
        "clearance": "CONFIDENTIAL",
        "compartments": ["ITDB"],
        "roles": ["analyst"],
    },
    {
        "username": "usa.security",
        "display_name": "US node security officer",
        "nation": "USA",
        "agency": "DOE",
        "clearance": "TOP SECRET",
        "compartments": _ALL,
        "roles": ["security_officer"],
    },
    {
        "username": "usa.auditor",
        "display_name": "US node auditor",
        "nation": "USA",
        "agency": "DOS",
        "clearance": "SECRET",
        "compartments": [],
        "roles": ["auditor"],
    },
    # Japan
    {
        "username": "mext.chief",
        "display_name": "MEXT section chief",
        "nation": "JPN",
        "agency": "MEXT",
        "clearance": "GOKUHI",
        "compartments": ["FORENSICS"],
        "roles": ["officer"],
    },
    {
        "username": "mofa.chief",
        "display_name": "MOFA section chief",
        "nation": "JPN",
        "agency": "MOFA",
        "clearance": "GOKUHI",
        "compartments": [],
        "roles": ["officer"],
    },
    {
        "username": "npa.chief",
        "display_name": "NPA section chief",
        "nation": "JPN",
        "agency": "NPA",
        "clearance": "KIMITSU",
        "compartments": ["ITDB", "FORENSICS"],
        "roles": ["officer"],
    },
    {
        "username": "nisa.chief",
        "display_name": "NISA section chief",
        "nation": "JPN",
        "agency": "NISA",
        "clearance": "HI",
        "compartments": ["PHYSPROT"],
        "roles": ["officer"],
    },
    {
        "username": "npa.analyst",
        "display_name": "NPA forensic science analyst",
        "nation": "JPN",
        "agency": "NPA",
        "clearance": "極秘",
        "compartments": ["FORENSICS", "ITDB"],
        "roles": ["analyst"],
    },
    {
        "username": "mext.analyst",
        "display_name": "JAEA analyst (MEXT)",
        "nation": "JPN",
        "agency": "MEXT",
        "clearance": "HI",
        "compartments": ["FORENSICS"],
        "roles": ["analyst"],
    },
    {
        "username": "jpn.security",
        "display_name": "Japanese node security officer",
        "nation": "JPN",
        "agency": "MOFA",
        "clearance": "KIMITSU",
        "compartments": _ALL,
        "roles": ["security_officer"],
    },
    {
        "username": "jpn.auditor",
        "display_name": "Japanese node auditor",
        "nation": "JPN",
        "agency": "MOFA",
        "clearance": "HI",
        "compartments": [],
        "roles": ["auditor"],
    },
]


@dataclass(frozen=True)
class DemoDocument:
    author: str
    title: str
    body: str
    label: str
    body_label: str | None = None


DEMO_DOCUMENTS: list[DemoDocument] = [
    DemoDocument(
        "doe.analyst",
        "Gamma survey of seized container, Port of Long Beach (exercise)",
        "HPGe survey found Cs-137 and Co-60 lines; no SNM signature above detection limits.",
        "SECRET//REL TO USA, JPN",
    ),
    DemoDocument(
        "doe.chief",
        "Forensics library comparison protocol, draft 3",
        "Open-set comparison with consistent / inconsistent / inconclusive per signature.",
        "SECRET//FORENSICS//REL TO USA, JPN",
    ),
    DemoDocument(
        "dhs.chief",
        "Radiation portal monitor alarm statistics, FY2010",
        "Nuisance alarm rates by port and by NORM category.",
        "CUI//REL TO USA, JPN",
    ),
    DemoDocument(
        "dos.chief",
        "Talking points for the Seoul 2012 summit preparatory meeting",
        "Widening forensics cooperation beyond the bilateral pair.",
        "CONFIDENTIAL//NOFORN",
    ),
    DemoDocument(
        "doe.chief",
        "Reactor-grade plutonium signatures, internal assessment",
        "Isotopic ratios and their discriminating power.",
        "TOP SECRET//FORENSICS//NOFORN",
    ),
    DemoDocument(
        "doe.analyst",
        "Uranium enrichment measurement, sample Q-17",
        "Enrichment 3.2 % by the intrinsic relative-efficiency method.",
        "SECRET//ORCON/REL TO USA, JPN",
    ),
    DemoDocument(
        "dhs.analyst",
        "Working group meeting minutes, November 2010",
        "Agreed tasks: best practices, forensics cooperation, legal framework.",
        "UNCLASSIFIED",
    ),
    DemoDocument(
        "npa.analyst",
        "押収物のガンマ線スペクトル解析 (seizure spectrum analysis)",
        "Cs-137 と K-40 を同定。核物質の兆候なし。",
        "GOKUHI//REL TO JPN, USA",
    ),
    DemoDocument(
        "npa.chief",
        "Trafficking case file 2010-JP-004 (exercise)",
        "Attempted sale of a sealed source; suspects identified.",
        "HI//ITDB//REL TO JPN, USA.DHS",
    ),
    DemoDocument(
        "mext.analyst",
        "JAEA ISCN training course roster",
        "Participants from 16 countries.",
        "TORIATSUKAI CHUI//REL TO JPN, USA",
    ),
    DemoDocument(
        "mofa.chief",
        "Negotiating position on the information-protection annex",
        "National position; not for release.",
        "GOKUHI//NOFORN",
    ),
    DemoDocument(
        "nisa.chief",
        "Facility self-assessment summary, physical protection",
        "Gaps in access control at two sites.",
        "HI//PHYSPROT//REL TO JPN, USA",
        body_label="HI//PHYSPROT//NOFORN",
    ),
]


#: who records each nation's demo incidents (police and homeland security)
INCIDENT_AUTHORS = {"USA": "dhs.chief", "JPN": "npa.chief"}


#: in a federated demo, who records each public case: the nation where it happened, else USA
_PUBLIC_CASE_NATION = {"JP": "JPN", "US": "USA"}


def seed_incidents(node: Node, nations: set[str], *, federated: bool = False) -> int:
    """Record the demo incidents: real public cases (unclassified, in the node's own
    scheme when the node's nation differs) and fictional restricted ones of the nations
    the node hosts. ``federated``: the node's partner records the other public cases and
    federation brings them (each case exists once in the pair)."""
    from nucsec.incidents.demo import demo_incidents
    from nucsec.service.incidents import add_incident

    created = 0
    for banner, incident in demo_incidents():
        label = parse_banner(banner, node.ctx)
        if federated and _PUBLIC_CASE_NATION.get(incident.country, "USA") not in nations:
            continue  # the partner records it
        if label.authority not in nations:
            if not (label.is_public_unclassified and label.rank(node.ctx) == 0):
                continue  # the partner's restricted incident arrives by federation
            level = node.ctx.equivalent(label.level_of(node.ctx), node.nation)
            label = label.with_(authority=node.nation, level=level.name)
            incident = _relabel_narrative(node, incident)
        author_name = INCIDENT_AUTHORS.get(label.authority)
        if author_name is None:
            continue  # a nation without demo users (e.g. one added by data only)
        with node.engine.connect() as conn:
            author = get_user(conn, author_name).principal
        add_incident(node, author, incident, label, note="demo")
        created += 1
    return created


def _relabel_narrative(node: Node, incident: Any) -> Any:
    """Public paragraphs re-expressed under the node's own authority."""
    from nucsec.incidents import Portion
    from nucsec.markings import render_banner

    portions = []
    for portion in incident.narrative:
        label = parse_banner(portion.label, node.ctx)
        level = node.ctx.equivalent(label.level_of(node.ctx), node.nation)
        relabelled = label.with_(authority=node.nation, level=level.name)
        portions.append(Portion(render_banner(relabelled, node.ctx), portion.text))
    return replace(incident, narrative=tuple(portions))


#: who records each nation's demo library entries, and under which labels: the public
#: certified reference materials (USA only in a federated pair: federation brings them),
#: then synthetic national lines, some releasable to the partner, some not
LIBRARY_AUTHORS = {"USA": "doe.analyst", "JPN": "npa.analyst"}
_LIBRARY_LABELS = {
    "USA": ("SECRET//FORENSICS//REL TO USA, JPN", "SECRET//FORENSICS//NOFORN"),
    "JPN": ("GOKUHI//FORENSICS//REL TO JPN, USA", "GOKUHI//FORENSICS//NOFORN"),
}


def seed_library(node: Node, nations: set[str], *, federated: bool = False) -> int:
    """Load the demo forensics library: the certified reference materials (library
    ``crm``, unclassified) and six synthetic lines per nation (library ``national``: four
    releasable to the partner, two NOFORN), drawn with a fixed seed per nation."""
    import numpy as np

    from nucsec.forensics.library import (
        demo_library,
        generate_library,
        library_to_json,
        to_entries,
    )
    from nucsec.service.library import import_entries

    created = 0
    for nation in sorted(nations):
        author_name, labels = LIBRARY_AUTHORS.get(nation), _LIBRARY_LABELS.get(nation)
        if author_name is None or labels is None:
            continue  # a nation without demo users (e.g. one added by data only)
        with node.engine.connect() as conn:
            author = get_user(conn, author_name).principal
        batches = []
        if nation == "USA" or (not federated and "USA" not in nations):
            batches.append(("crm", "UNCLASSIFIED", demo_library()))
        seed = 1300 + sorted(node.ctx.nations).index(nation)
        lines = to_entries(generate_library(np.random.default_rng(seed), 6, complete=True))
        prefix = f"{nation}-"
        lines = [replace(e, id=prefix + e.id, holder_agency=author.agency or "") for e in lines]
        batches += [("national", labels[0], lines[:4]), ("national", labels[1], lines[4:])]
        for library, banner, entries in batches:
            label = parse_banner(banner, node.ctx)
            if label.authority != nation:  # public values, in the author's own scheme
                level = node.ctx.equivalent(label.level_of(node.ctx), nation)
                label = label.with_(authority=nation, level=level.name)
            text = library_to_json(entries)
            created += len(import_entries(node, author, text, label, library=library).created)
    return created


def seed(
    node: Node, *, password_hash: str | None, federated: bool = False, practices: bool = False
) -> dict[str, int]:
    """Create the demo users of the node's nation (all nations on a joint node), their
    documents and incidents (``federated``: see :func:`seed_incidents`) and, with
    ``practices`` (``make demo``), the practice catalogue, facilities and their
    assessments (:mod:`nucsec.demo_practices`). Returns counts."""
    nations = set(node.ctx.nations) if node.joint else {node.nation}
    with node.engine.begin() as conn:
        users = [u for u in DEMO_USERS if u["nation"] in nations]
        for spec in users:
            create_user(node, conn, spec, actor="system", password_hash=password_hash)
    created = 0
    for doc in DEMO_DOCUMENTS:
        with node.engine.connect() as conn:
            author = next((u for u in users if u["username"] == doc.author), None)
            if author is None:
                continue
            principal = get_user(conn, doc.author).principal
        label = parse_banner(doc.label, node.ctx)
        body_label = parse_banner(doc.body_label, node.ctx) if doc.body_label else label
        create_document(node, principal, DocumentInput(doc.title, doc.body, label, body_label))
        created += 1
    counts = {
        "users": len(users),
        "documents": created,
        "incidents": seed_incidents(node, nations, federated=federated),
    }
    if practices:
        from nucsec.demo_practices import seed_practices

        counts.update(seed_practices(node, nations))
    return counts


#: the demo case's parts and their labels (a NOFORN assessment the partner never receives)
DEMO_CASE_LABELS = {
    "title": "CUI//REL TO USA, JPN",
    "facts": "CUI//REL TO USA, JPN",
    "sample": "CONFIDENTIAL//REL TO USA, JPN",
    "link": "CUI//REL TO USA, JPN",
    "spectrum": "SECRET//FORENSICS//REL TO USA, JPN",
    "age": "SECRET//REL TO USA, JPN",
    "finding": "SECRET//REL TO USA, JPN",
    "noforn": "CONFIDENTIAL//NOFORN",
}


def _demo_spectrum(mass_g: float, u235_wt_pct: float, seed: int) -> bytes:
    """A simulated HPGe spectrum of uranium as an N42 file (demo only)."""
    import tempfile
    from pathlib import Path

    import numpy as np

    from nucsec.archive.simulated import write_n42
    from nucsec.forensics.spectra.simulate import simulate, uranium_activities_bq

    rng = np.random.default_rng(seed)
    spectrum = simulate(uranium_activities_bq(mass_g, u235_wt_pct), rng=rng, live_time_s=3600.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seized-item.n42"
        write_n42(path, [spectrum])
        return path.read_bytes()


def _age_finding(
    result: dict[str, Any], reference_year: float, candidates: list[tuple[str, float, float]]
) -> str:
    """What the model age says about the candidates: those whose production range the
    k=2 model-date interval meets (computed, not typed)."""
    lo, hi = result["interval_years_k2"]
    first, last = reference_year - hi, reference_year - lo
    hits = [name for name, start, end in candidates if start <= last and end >= first]
    date = result.get("model_date") or f"{reference_year - result['age_years']:.1f}"
    if hits:
        return f"The model date of S-1 ({date}) is consistent with production at {', '.join(hits)}."
    return f"The model date of S-1 ({date}) is consistent with none of the candidate facilities."


def _attach_demo_match(
    node: Node, chief: Principal, case_id: str, label: Label, age: dict[str, Any]
) -> None:
    """Compare sample S-1 (20 wt% 235U, as its demo spectrum was drawn; the model date of
    its age analysis) with the library the chief may read and keep the answer with the
    case."""
    from nucsec.forensics.library import sample_from_dict
    from nucsec.forensics.library.model import decimal_year
    from nucsec.service import cases
    from nucsec.service.library import match_sample

    r235 = (0.20 / 235.0439) / (0.80 / 238.0508)  # amount ratio of 20 wt% 235U
    sample = {
        "id": "S-1",
        "material_type": "uoc",
        "signatures": [
            {"name": "n(235U)/n(238U)", "value": round(r235, 5), "u": 0.002, "unit": "mol/mol"},
            {
                "name": "model date",
                "value": round(decimal_year(date(2024, 5, 1)) - age["age_years"], 3),
                "u": round(age["u_age_years"], 3),
                "unit": "year CE",
            },
        ],
    }
    answer = match_sample(node, chief, sample_from_dict(sample), max_candidates=5)
    cases.attach_match(node, chief, case_id, sample, answer, label)


def seed_case(node: Node) -> str | None:
    """The demo forensic case (USA authority; ``None`` on a node without DOE's users):
    opened from a demo incident, one sample handed over to the laboratory, a spectrum and
    an age analysis linked, three assessments (one NOFORN) and the three staged reports
    issued. Returns the case id."""
    from nucsec.service import analyses, cases
    from nucsec.service.case_reports import issue_report
    from nucsec.service.incidents import list_incidents

    if "USA" not in node.ctx.nations or (node.nation != "USA" and not node.joint):
        return None
    with node.engine.connect() as conn:
        try:
            chief, analyst = (get_user(conn, u).principal for u in ("doe.chief", "doe.analyst"))
        except Exception:
            return None
    lab = {k: parse_banner(v, node.ctx) for k, v in DEMO_CASE_LABELS.items()}
    incidents = [i.id for i in list_incidents(node, chief, limit=5).items[:1]]
    case = cases.open_case(
        node,
        chief,
        "Seizure of uranium-bearing material at a border crossing (demo)",
        lab["title"],
        incidents=incidents,
        facts_label=lab["facts"],
    )
    cases.add_sample(
        node,
        chief,
        case.id,
        sample_id="S-1",
        description="Uranium oxide powder in a vial",
        mass_g=12.5,
        container="sealed glass vial in a lead pot",
        where="border crossing",
        label=lab["sample"],
        holder="customs officer on duty",
    )
    cases.hand_over(node, analyst, case.id, "S-1", where="DOE laboratory, receiving")
    _, ticket = analyses.stage_spectrum(
        node, analyst, _demo_spectrum(12.5, 20.0, 7), "seized-item.n42"
    )
    spectrum = analyses.save_spectrum_analysis(
        node,
        analyst,
        source={"upload": ticket, "name": "seized-item.n42"},
        label=lab["spectrum"],
        title="Gamma spectrum of sample S-1",
    )
    cases.attach_analysis(node, chief, case.id, spectrum.id, lab["link"])
    names = ", ".join(n["name"] for n in spectrum.result.get("nuclides", [])) or "no nuclide"
    cases.assess(
        node,
        chief,
        case.id,
        label=lab["finding"],
        evidence=[spectrum.id],
        confidence="strong",
        finding=f"Sample S-1 contains uranium; gamma lines of {names} were identified.",
    )
    issue_report(node, chief, case.id, "preliminary")
    age = analyses.save_age_analysis(
        node,
        analyst,
        label=lab["age"],
        title="Model age of sample S-1 (Th-230/U-234)",
        params={
            "chronometer": "Th-230/U-234",
            "ratio": 3.95e-5,
            "ratio_unc": 2.0e-7,
            "measured_on": "2024-05-01",
            "age_on": "2024-05-01",
        },
    )
    candidates = [
        ("Candidate facility A", 2008.0, 2012.0),
        ("Candidate facility B", 1995.0, 1999.0),
    ]
    cases.attach_analysis(
        node,
        chief,
        case.id,
        age.id,
        lab["link"],
        candidates=candidates,
    )
    _attach_demo_match(node, chief, case.id, lab["link"], age.result)
    cases.assess(
        node,
        chief,
        case.id,
        label=lab["finding"],
        evidence=[age.id],
        confidence="moderate",
        finding=_age_finding(age.result, 2024 + 120 / 366, candidates),
    )
    cases.assess(
        node,
        chief,
        case.id,
        label=lab["noforn"],
        evidence=[age.id],
        confidence="weak",
        finding="NOFORN liaison reporting links the courier to a previous seizure.",
    )
    issue_report(node, chief, case.id, "interim")
    issue_report(node, chief, case.id, "final")
    return case.id
