"""Demo data of the practice catalogue and facility self-assessment (``make demo``).

Seeds, on each node, the practices owned by its nation's agencies (the shipped seed
catalogue and the Japanese-language practices of ``data/practices/demo.toml``), mostly
unclassified, a few restricted to the two nations and one US practice NOFORN (so the
partner never sees it, in search, counts or facets); endorses three proposed practices
per nation (a decision recorded by the nation's officer, naming the partner's officer);
records the demo facilities of its nation (a research reactor with Category I HEU, a
fuel fabrication plant, a hospital with category 1 sources) and two self-assessments of
each, a year apart, with answers that are made up but deterministic, and a
security-culture survey round after each (three staff groups of six respondents).
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from typing import Any

from nucsec.markings import Label, parse_banner
from nucsec.node import Node
from nucsec.practices import Officer, load_catalogue
from nucsec.practices.survey import LIKERT, culture_instrument
from nucsec.practices.vocabulary import DATA
from nucsec.service.assessments import assess_facility, assessment_questions
from nucsec.service.facilities import add_facility
from nucsec.service.practice_report import public_label
from nucsec.service.practices import add_practice, endorse_practice
from nucsec.service.surveys import add_survey
from nucsec.service.users import principal_of

__all__ = ["ASSESSMENT_DATES", "demo_practices", "seed_practices"]

#: who writes each nation's demo records, and who records its endorsements
AUTHORS = {"USA": "doe.analyst", "JPN": "npa.analyst"}
#: (the officer of the authoring agency, who may update its records; as named abroad)
OFFICERS = {
    "USA": ("doe.chief", Officer("USA", "DOE", "DOE section chief")),
    "JPN": ("npa.chief", Officer("JPN", "NPA", "NPA section chief")),
}
RESTRICTED = {"USA": "SECRET//REL TO USA, JPN", "JPN": "極秘//REL TO USA, JPN"}
NOFORN = "SECRET//NOFORN"
ASSESSMENT_DATES = (date(2025, 3, 1), date(2026, 3, 1))
MEETING = ("Demo working-group meeting 1", date(2026, 2, 10))


def _demo_file() -> dict[str, Any]:
    text = resources.files(DATA).joinpath("demo.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def demo_practices() -> list[Any]:
    """The seed catalogue and the demo's Japanese-language practices."""
    text = resources.files(DATA).joinpath("demo.toml").read_text(encoding="utf-8")
    return [*load_catalogue(), *load_catalogue(text)]


def _label(node: Node, nation: str, i: int, first_of_nation: bool) -> Label:
    if nation == "USA" and first_of_nation:
        return parse_banner(NOFORN, node.ctx)
    if i % 6 == 5:
        return parse_banner(RESTRICTED[nation], node.ctx)
    return public_label(node, nation)


def _seed_catalogue(node: Node, nations: set[str]) -> tuple[int, int]:
    made, endorsed = 0, 0
    seen: set[str] = set()
    for i, practice in enumerate(demo_practices()):
        nation = practice.owner_agency.split(".")[0]
        if nation not in nations or nation not in AUTHORS:
            continue
        author = principal_of(node, AUTHORS[nation])
        label = _label(node, nation, i, nation not in seen)
        seen.add(nation)
        view = add_practice(node, author, practice.to_dict(), label, note="demo")
        made += 1
        if practice.status == "proposed" and endorsed < 3 * len(nations) and i % 4 == 0:
            user, _ = OFFICERS[nation]
            others = tuple(o for n, (_, o) in OFFICERS.items() if n != nation)
            endorse_practice(
                node,
                principal_of(node, user),
                view.id,
                meeting=MEETING[0],
                on=MEETING[1],
                officers=others,
                officer_name=user,
            )
            endorsed += 1
    return made, endorsed


def _answers(questions: list[str], round_no: int, shift: int) -> dict[str, Any]:
    """Made-up, deterministic answers (``shift`` varies them by facility): the second
    round improves on the first."""
    answers: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for i, q in enumerate(questions):
        if i % 17 == 16:
            answers.append({"question": q, "na_reason": "not present at this site (demo)"})
            continue
        level = (i * 7 + 3 + shift * (i % 2)) % 5
        if round_no == 1 and i % 3 != 0:
            level = min(4, level + 1)
        answers.append({"question": q, "value": str(level)})
        if level == 0 and len(findings) < 3:
            findings.append(
                {
                    "id": f"R{round_no}-{len(findings) + 1}",
                    "type": "recommendation",
                    "node": q,
                    "summary": "Put the measure in place and document it (demo finding).",
                    "owner": "site security manager",
                    "due": ASSESSMENT_DATES[round_no].replace(month=9).isoformat(),
                }
            )
        elif level == 4 and not any(f["type"] == "good practice" for f in findings):
            findings.append(
                {
                    "id": f"G{round_no}",
                    "type": "good practice",
                    "node": q,
                    "summary": "Tested and improved every year (demo finding).",
                }
            )
    return {"answers": answers, "findings": findings}


#: staff groups asked in the demo culture surveys, and respondents per group and round
SURVEY_GROUPS = ("operations", "security", "management")
SURVEY_SIZE = 6


def _survey(round_no: int, shift: int) -> dict[str, Any]:
    """Made-up, deterministic culture-survey answers for one round: the groups differ,
    the second round agrees more; every 11th answer N/A."""
    items = [i.code for i in culture_instrument(SURVEY_GROUPS).items]
    responses = []
    for g, group in enumerate(SURVEY_GROUPS):
        for r in range(SURVEY_SIZE):
            answers: dict[str, str | None] = {}
            for k, code in enumerate(items):
                n = g * 31 + r * 7 + k * 3 + shift
                point = (n % 4) + (1 if round_no and n % 3 else 0) + (g == 1)
                answers[code] = None if n % 11 == 0 else LIKERT[min(4, point)]
            responses.append({"staff_group": group, "answers": answers})
    on = ASSESSMENT_DATES[round_no].replace(month=6)
    return {"held_on": on.isoformat(), "staff_groups": list(SURVEY_GROUPS), "responses": responses}


def _seed_facilities(node: Node, nations: set[str]) -> tuple[int, int]:
    facilities, assessments = 0, 0
    for shift, record in enumerate(_demo_file()["facility"]):
        nation = record["nation"]
        if nation not in nations or nation not in AUTHORS:
            continue
        author = principal_of(node, AUTHORS[nation])
        label = parse_banner(RESTRICTED[nation], node.ctx)
        fac = add_facility(node, author, dict(record), label, note="demo")
        facilities += 1
        for round_no, on in enumerate(ASSESSMENT_DATES):
            questions = list(assessment_questions(node, author, fac.id, on))
            record_in = {"assessed_on": on.isoformat(), **_answers(questions, round_no, shift)}
            assess_facility(node, author, fac.id, record_in, label, note="demo")
            assessments += 1
            add_survey(node, author, fac.id, _survey(round_no, shift), label, note="demo")
    return facilities, assessments


def seed_practices(node: Node, nations: set[str]) -> dict[str, int]:
    """Seed the node (see the module docstring); returns counts."""
    practices, endorsed = _seed_catalogue(node, nations)
    facilities, assessments = _seed_facilities(node, nations)
    return {
        "practices": practices,
        "endorsed": endorsed,
        "facilities": facilities,
        "assessments": assessments,
    }
