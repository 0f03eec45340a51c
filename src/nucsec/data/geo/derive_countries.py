"""Write ``countries.csv`` (alpha-2, ISO numeric, Japanese name) for the world map.

Not imported at run time. Run once, by hand, with the two sources at hand:

    PYTHONPATH=/path/to/babel python src/nucsec/data/geo/derive_countries.py \
        /usr/share/iso-codes/json/iso_3166-1.json

- ISO 3166-1 numeric codes (facts) from Debian's ``iso-codes`` JSON, to join the
  ``id`` of each Natural Earth geometry in ``countries-110m.json`` to our alpha-2 codes;
- Japanese territory names from the Unicode CLDR, as packaged by Babel (``Locale("ja")``).

Only the codes of ``nucsec.data.iaea/iso3166.tab`` (the register's countries) are written.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(iso_json: str) -> None:
    from babel import Locale

    ja = Locale("ja").territories
    codes = [
        line.split("\t", 1)[0]
        for line in (HERE.parent / "iaea" / "iso3166.tab").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    numeric = {e["alpha_2"]: e["numeric"] for e in json.loads(Path(iso_json).read_text())["3166-1"]}
    with (HERE / "countries.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["alpha2", "numeric", "name_ja"])
        for code in sorted(codes):
            out.writerow([code, numeric.get(code, ""), ja.get(code, "")])


if __name__ == "__main__":
    main(sys.argv[1])
