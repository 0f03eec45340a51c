"""A small framework whose scores are worked out by hand in the tests (see SMALL)."""

from __future__ import annotations

import pytest

from nucsec.practices import Framework, load_framework

# Tree and weight sets (percent of siblings):
#   A (60 | 50)  -> A1 (50) -> A1.q1 (50 | 25), A1.q2 (50 | 75)
#                -> A2 (50, cat:I only) -> A2.q1
#   B (40 | 50)  -> B.q1, B.q2 (equal)
SMALL = """
[framework]
id = "small"
version = "1"
title = "Small hand-checked framework"
default_weight_set = "v1"

[[scales]]
id = "yn3"
title = "Yes / partly / no"
options = [{code = "yes", label = "Yes", score = 100, compliant = true},
           {code = "partial", label = "Partly", score = 50, compliant = false},
           {code = "no", label = "No", score = 0, compliant = false}]

[[scales]]
id = "m5"
title = "Maturity 0-4"
options = [{code = "0", label = "none", score = 0, compliant = false},
           {code = "1", label = "initial", score = 25, compliant = false},
           {code = "2", label = "defined", score = 50, compliant = false},
           {code = "3", label = "managed", score = 75, compliant = true},
           {code = "4", label = "optimised", score = 100, compliant = true}]

[[nodes]]
code = "A"
kind = "category"
title = "Protection"
applicability = ["theft"]

[[nodes]]
code = "A1"
kind = "indicator"
title = "Barriers"
parent = "A"

[[nodes]]
code = "A1.q1"
kind = "question"
title = "Fence?"
parent = "A1"
scale = "yn3"

[[nodes]]
code = "A1.q2"
kind = "question"
title = "Gate?"
parent = "A1"
scale = "yn3"

[[nodes]]
code = "A2"
kind = "indicator"
title = "Vault"
parent = "A"
applicability = ["cat:I"]
status = "unverified"

[[nodes]]
code = "A2.q1"
kind = "question"
title = "Vault alarmed?"
parent = "A2"
scale = "yn3"

[[nodes]]
code = "B"
kind = "category"
title = "Culture"

[[nodes]]
code = "B.q1"
kind = "question"
title = "Training?"
parent = "B"
scale = "m5"

[[nodes]]
code = "B.q2"
kind = "question"
title = "Survey?"
parent = "B"
scale = "m5"

[weight_sets.v1]
note = "first"
weights = {A = 60, B = 40, A1 = 50, A2 = 50, "A1.q1" = 50, "A1.q2" = 50}

[weight_sets.v2]
note = "second"
weights = {A = 50, B = 50, "A1.q1" = 25, "A1.q2" = 75}
"""


@pytest.fixture
def small() -> Framework:
    return load_framework(SMALL)
