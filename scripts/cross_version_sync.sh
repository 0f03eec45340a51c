#!/usr/bin/env bash
# Federation across code versions: a node running OLD_BIN and a node running NEW_BIN
# exchange records over TAXII 2.1, in both directions.
#
#   scripts/cross_version_sync.sh OLD_BIN NEW_BIN      e.g.
#   scripts/cross_version_sync.sh ../handheld/.venv/bin/nucsec .venv/bin/nucsec
#
# For each direction (OLD->NEW, then NEW->OLD) it builds a fresh pair of nodes on SQLite
# under a temporary directory: USA runs the sending binary, JPN the receiving one. USA
# records a document, an incident and an age analysis released to JPN, and one of each
# under NOFORN; JPN pulls with `nucsec sync`. Checked on JPN: the releasable records
# arrive and a cleared user (npa.analyst) reads them; the NOFORN ones are "not found"; an
# update of the document and of the incident at the origin arrives as a new version. The
# pair then also syncs the other way (JPN -> USA: the demo data backfilled to USA) and
# every sync must report no rejection. Prints PASS/FAIL lines; exits 1 on any failure.
# Servers are stopped on exit. Needs curl and python3.
set -u -o pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 OLD_BIN NEW_BIN" >&2
    exit 2
fi
OLD_BIN=$(readlink -f "$1")
NEW_BIN=$(readlink -f "$2")
for bin in "$OLD_BIN" "$NEW_BIN"; do
    [ -x "$bin" ] || { echo "not executable: $bin" >&2; exit 2; }
done
unset NUCSEC_DATABASE_URL          # SQLite in each node's home
export NUCSEC_SYNC_SECONDS=0       # only the explicit `nucsec sync` below pulls

WORK=$(mktemp -d /tmp/xver-sync.XXXXXX)
PIDS=()
FAILED=0
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$pid" 2>/dev/null
    done
    if [ "$FAILED" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept: $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

REL='SECRET//REL TO USA, JPN'
NOFORN='SECRET//NOFORN'
AGE='{"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 7.06e-7}'

pass() { echo "PASS  $DIR  $*"; }
fail() { echo "FAIL  $DIR  $*"; FAILED=1; }
check() { # check DESCRIPTION COMMAND... : PASS when the command succeeds
    local what=$1; shift
    if "$@" >"$WORK/last.out" 2>"$WORK/last.err"; then pass "$what"; else
        fail "$what"; sed 's/^/      /' "$WORK/last.out" "$WORK/last.err" | head -20; fi
}
json() { # json FILE PYTHON-EXPRESSION-OF-d : print it
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# as NODE BIN ARGS... : run the node's binary with its home
on() { local home=$1 bin=$2; shift 2; NUCSEC_HOME="$home" "$bin" "$@"; }

start() { # start HOME BIN PORT
    NUCSEC_HOME="$1" "$2" serve --host 127.0.0.1 --port "$3" --log-level warning \
        >"$1.serve.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 120); do
        curl -s -o /dev/null "http://127.0.0.1:$3/taxii2/" && return 0
        sleep 0.5
    done
    echo "server $1 did not start"; cat "$1.serve.log"; return 1
}

sync_ok() { # sync_ok HOME BIN PEER OUT : complete, nothing rejected but newer kinds
    on "$1" "$2" sync --peer "$3" --json >"$4" 2>"$4.err"
    local rc=$?
    python3 - "$4" "$rc" <<'EOF'
import json, sys
rc = int(sys.argv[2])
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print("exit", rc, "no JSON report"); sys.exit(1)
print("exit", rc, {k: d.get(k) for k in ("received", "unchanged", "recalled", "rejected", "complete")})
# a receiver older than the sender refuses the extension definitions of kinds added since
# (docs/federation.md, "Kinds added since 1.0"); any other rejection fails the check
newer = [r for r in d.get("rejections", [])
         if str(r.get("reason", "")).startswith("unknown extension definition")]
for r in d.get("rejections", []):
    print("  rejected:", r, "(a kind newer than the receiver)" if r in newer else "")
sys.exit(0 if rc == 0 and d.get("complete") and d.get("rejected") == len(newer) else 1)
EOF
}

field_is() { # field_is FILE EXPR EXPECTED (the repr of the expression)
    local got
    got=$(json "$1" "repr(($2))") || return 1
    [ "$got" = "$3" ] || { echo "got $got, expected $3"; return 1; }
}

hidden() { # hidden HOME BIN ARGS... : exit 4, "not found"
    on "$@" >/dev/null 2>&1
    local rc=$?
    [ "$rc" -eq 4 ] || { echo "exit $rc, expected 4"; return 1; }
}

add_analysis() { # add_analysis PORT TOKEN TITLE LABEL PARENT-JSON OUT
    local body
    body=$(python3 -c 'import json,sys; print(json.dumps({"method": "age", "title": sys.argv[1],
        "label": sys.argv[2], "params": json.loads(sys.argv[3]),
        "parent": json.loads(sys.argv[4])}))' "$3" "$4" "$AGE" "$5")
    curl -sS -f -X POST "http://127.0.0.1:$1/api/v1/analyses" -H "Authorization: Bearer $2" \
        -H 'Content-Type: application/json' -d "$body" -o "$6"
}

direction() { # direction NAME SENDER_BIN RECEIVER_BIN
    DIR=$1
    local S=$2 R=$3 d="$WORK/$1"
    mkdir -p "$d"
    local A="$d/usa" B="$d/jpn" PA PB
    PA=$(free_port); PB=$(free_port)
    echo "== $DIR: USA runs $S (port $PA), JPN runs $R (port $PB)"
    check "USA init (sender: $("$S" --version))" on "$A" "$S" init --nation USA --demo --json
    check "JPN init (receiver: $("$R" --version))" on "$B" "$R" init --nation JPN --demo --json
    on "$A" "$S" node public-key >"$d/usa.pub"
    on "$B" "$R" node public-key >"$d/jpn.pub"
    start "$A" "$S" "$PA" || { fail "USA serve"; return; }
    start "$B" "$R" "$PB" || { fail "JPN serve"; return; }
    check "USA pins JPN" on "$A" "$S" peer add jpn --nation JPN \
        --url "http://127.0.0.1:$PB" --public-key "$d/jpn.pub"
    check "JPN pins USA" on "$B" "$R" peer add usa --nation USA \
        --url "http://127.0.0.1:$PA" --public-key "$d/usa.pub"

    # -- records on the sender -------------------------------------------------------------
    on "$A" "$S" document add --as doe.analyst --title "XV doc rel" --body "released body" \
        --label "$REL" --json >"$d/doc_rel.json" || fail "add document (REL)"
    on "$A" "$S" document add --as doe.analyst --title "XV doc noforn" --body "national body" \
        --label "$NOFORN" --json >"$d/doc_nf.json" || fail "add document (NOFORN)"
    for which in rel nf; do
        local label=$REL
        [ $which = nf ] && label=$NOFORN
        on "$A" "$S" incident add --as dhs.chief --label "$label" --reference "XV-INC-$which" \
            --report-date 2001-03-02 --incident-date 2001-02-01 --country US --type theft \
            --group I --place "first place" --narrative "XV-INC-$which: a paragraph." \
            --json >"$d/inc_$which.json" || fail "add incident ($which)"
    done
    local DOC INC DOC_NF INC_NF TOKEN ANA ANA_NF
    DOC=$(json "$d/doc_rel.json" 'd["id"]'); DOC_NF=$(json "$d/doc_nf.json" 'd["id"]')
    INC=$(json "$d/inc_rel.json" 'd["id"]'); INC_NF=$(json "$d/inc_nf.json" 'd["id"]')
    on "$A" "$S" token create --user doe.analyst --json >"$d/token.json" \
        || fail "token for doe.analyst"
    TOKEN=$(json "$d/token.json" 'd["token"]')
    add_analysis "$PA" "$TOKEN" "XV analysis rel" "$REL" \
        "{\"kind\": \"incident\", \"id\": \"$INC\"}" "$d/ana_rel.json" || fail "add analysis (REL)"
    add_analysis "$PA" "$TOKEN" "XV analysis noforn" "$NOFORN" null "$d/ana_nf.json" \
        || fail "add analysis (NOFORN)"
    ANA=$(json "$d/ana_rel.json" 'd["id"]'); ANA_NF=$(json "$d/ana_nf.json" 'd["id"]')

    # -- first pull ------------------------------------------------------------------------
    check "JPN sync from USA: complete, nothing rejected (but kinds newer than JPN)" sync_ok "$B" "$R" usa "$d/sync1.json"
    on "$B" "$R" document get "$DOC" --as npa.analyst --json >"$d/b_doc.json" 2>"$WORK/get.err"
    check "document REL TO JPN arrives, readable by npa.analyst" \
        field_is "$d/b_doc.json" 'd["title"], d["body"], d["banner"], d["origin"]' \
        "('XV doc rel', 'released body', '$REL', 'usa')"
    on "$B" "$R" incident show "$INC" --as npa.analyst --json >"$d/b_inc.json" 2>"$WORK/get.err"
    check "incident REL TO JPN arrives, readable by npa.analyst" \
        field_is "$d/b_inc.json" 'd["reference"], d["incident"]["place"], d["banner"], d["origin"]' \
        "('XV-INC-rel', 'first place', '$REL', 'usa')"
    on "$B" "$R" analysis show "$ANA" --as npa.analyst --json >"$d/b_ana.json" 2>"$WORK/get.err"
    check "analysis REL TO JPN arrives, readable by npa.analyst (age result intact)" \
        field_is "$d/b_ana.json" \
        'd["title"], d["method"], d["result"]["age_years"] == json.load(open(sys.argv[1].replace("b_ana", "ana_rel")))["result"]["age_years"]' \
        "('XV analysis rel', 'age', True)"
    check "NOFORN document does not cross (not found)" \
        hidden "$B" "$R" document get "$DOC_NF" --as jpn.security
    check "NOFORN incident does not cross (not found)" \
        hidden "$B" "$R" incident show "$INC_NF" --as jpn.security
    check "NOFORN analysis does not cross (not found)" \
        hidden "$B" "$R" analysis show "$ANA_NF" --as jpn.security
    check "receiver's own monitor: HI-cleared mext.analyst may not read the SECRET document" \
        hidden "$B" "$R" document get "$DOC" --as mext.analyst

    # -- updates at the origin arrive as new versions --------------------------------------
    on "$A" "$S" document update "$DOC" --as doe.analyst --title "XV doc rel v2" \
        --body "released body, revised" --label "$REL" --note "revised" >/dev/null \
        || fail "update document at origin"
    on "$A" "$S" incident export --as dhs.chief -o "$d/incidents.csv" \
        || fail "export incidents at origin"
    python3 - "$d/incidents.csv" <<'EOF' || fail "prepare incident update"
import csv, io, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
header, keep = rows[0], [rows[0]]
ref, rec = header.index("reference"), header.index("record")
for row in rows[1:]:
    if row[ref] == "XV-INC-rel":
        keep.append([c.replace("first place", "second place") for c in row])
if len(keep) < 2:
    sys.exit("XV-INC-rel not in the export")
with open(sys.argv[1], "w", newline="", encoding="utf-8") as f:
    csv.writer(f).writerows(keep)
EOF
    on "$A" "$S" incident import "$d/incidents.csv" --as dhs.chief --label "$REL" --json \
        >"$d/reimport.json" 2>&1 || { fail "update incident at origin (CSV re-import)"; cat "$d/reimport.json"; }
    check "JPN sync again: complete, nothing rejected" sync_ok "$B" "$R" usa "$d/sync2.json"
    check "the sync received the two updates" field_is "$d/sync2.json" 'd["received"] >= 2' True
    on "$B" "$R" document get "$DOC" --as npa.analyst --json >"$d/b_doc2.json" 2>"$WORK/get.err"
    check "document update arrives (new title and body)" \
        field_is "$d/b_doc2.json" 'd["title"], d["body"]' "('XV doc rel v2', 'released body, revised')"
    on "$B" "$R" document history "$DOC" --as npa.analyst --json >"$d/b_hist.json" 2>"$WORK/get.err"
    check "document history on JPN has two versions" \
        field_is "$d/b_hist.json" 'len(d if isinstance(d, list) else d.get("versions", d.get("items", [])))' 2
    on "$B" "$R" incident show "$INC" --as npa.analyst --json >"$d/b_inc2.json" 2>"$WORK/get.err"
    check "incident update arrives as a new version" \
        field_is "$d/b_inc2.json" 'd["incident"]["place"], d["version"] > json.load(open(sys.argv[1].replace("b_inc2", "b_inc")))["version"]' \
        "('second place', True)"

    # -- the other way in the same pair: JPN's demo records backfilled to USA --------------
    check "USA sync from JPN (receiver -> sender binary): complete, nothing rejected" \
        sync_ok "$A" "$S" jpn "$d/sync_back.json"
    check "USA received records from JPN" field_is "$d/sync_back.json" 'd["received"] > 0' True
    echo "      JPN's sync reports: $(json "$d/sync1.json" '{k: d[k] for k in ("received", "rejected")}')," \
        "$(json "$d/sync2.json" '{k: d[k] for k in ("received", "rejected")}');" \
        "USA's: $(json "$d/sync_back.json" '{k: d[k] for k in ("received", "rejected")}')"
}

direction old-to-new "$OLD_BIN" "$NEW_BIN"
direction new-to-old "$NEW_BIN" "$OLD_BIN"
DIR=all
if [ "$FAILED" -eq 0 ]; then pass "every check"; exit 0; fi
fail "some checks failed (see above; nodes kept in $WORK)"
exit 1
