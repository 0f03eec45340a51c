"""Nuclear forensics library: compare a sample with known material, open set.

Pure core (no database, network, clock or randomness not handed in): the signature
vocabulary, entries and samples, the columnar index, the comparison (per-signature and
multivariate tests with a stated false-exclusion rate; "none of the library" as a real
answer), the partner answer that carries only conclusions, import/export, the demo library
of certified reference materials and a seeded synthetic-library generator. See
``docs/library.md``.
"""

from nucsec.forensics.library.csvio import library_to_csv, read_library_csv
from nucsec.forensics.library.demo import demo_library
from nucsec.forensics.library.errors import (
    LibraryError,
    LibraryImportError,
    Problem,
    UnknownSignatureError,
)
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.jsonio import library_to_json, read_library_json
from nucsec.forensics.library.match import match
from nucsec.forensics.library.model import (
    Correlation,
    Entry,
    Measurement,
    Member,
    ProductionStep,
    Sample,
)
from nucsec.forensics.library.parse import entries_from_list, entry_from_dict, sample_from_dict
from nucsec.forensics.library.partner import PartnerAnswer, answer_for_partner
from nucsec.forensics.library.ree import ree_pattern
from nucsec.forensics.library.result import (
    Candidate,
    Exclusion,
    MatchResult,
    NextMeasurement,
    SignatureVerdict,
)
from nucsec.forensics.library.synthetic import (
    draw_sample,
    generate_library,
    novel_sample,
    to_entries,
)
from nucsec.forensics.library.thresholds import DEFAULT_FALSE_EXCLUSION_RATE
from nucsec.forensics.library.vocabulary import (
    MATERIAL_TYPES,
    SignatureDef,
    signature,
    signatures,
)

__all__ = [
    "DEFAULT_FALSE_EXCLUSION_RATE",
    "MATERIAL_TYPES",
    "Candidate",
    "Correlation",
    "Entry",
    "Exclusion",
    "LibraryError",
    "LibraryImportError",
    "LibraryIndex",
    "MatchResult",
    "Measurement",
    "Member",
    "NextMeasurement",
    "PartnerAnswer",
    "Problem",
    "ProductionStep",
    "Sample",
    "SignatureDef",
    "SignatureVerdict",
    "UnknownSignatureError",
    "answer_for_partner",
    "demo_library",
    "draw_sample",
    "entries_from_list",
    "entry_from_dict",
    "generate_library",
    "library_to_csv",
    "library_to_json",
    "match",
    "novel_sample",
    "read_library_csv",
    "read_library_json",
    "ree_pattern",
    "sample_from_dict",
    "signature",
    "signatures",
    "to_entries",
]
