#!/usr/bin/env bash
# side-by-side.sh: run zkr's benchmarks in the same harness, against the same
# kind of fresh ZooKeeper, as the anchor implementations (Curator, kazoo,
# go-zookeeper), and keep the tables in bench/results/<timestamp>-<fsync|nofsync>/.
#
# The anchor harness (../shared/anchors from the repository root, or
# $ANCHORS_DIR) is copied into a temporary directory and its run-all.sh gets a
# "zkrecipes" section that runs our zkr binary with the same flags; the
# original is never modified.
#
# Env knobs (all optional):
#   IMPLS="zkrecipes curator kazoo gozk"   sections to run, in this order
#   ZK_EXTRA_CFG="forceSync=no"            extra zoo.cfg lines (default: none, i.e. fsync on)
#   BENCH_ARGS="--w2-duration-s 5"         flags passed to every bench program
#   ANCHORS_DIR=path/to/anchors            default: <repo>/../shared/anchors (in a git
#                                          worktree: beside the main checkout)
#   ZKR=path/to/zkr                        prebuilt binary (default: go build ./cmd/zkr)
#   PORT=NNNN                              ZooKeeper port (default: a free one; never 2181)
#   SHARED_ZK=1                            one ZooKeeper for all sections (run-all.sh knob)
#   SECTION_TIMEOUT=900                    seconds before a hung bench program is killed
#   KEEP_TMP=1                             keep the temporary harness copy
#   WORKLOADS="w1,w2"                      anchor workloads to run (default all: w1,...,w8; zkr has
#                                          every one); run-all.sh gives each section those its
#                                          library has, and always runs the raw baseline
#   ROUNDS=3                               repeat the whole run; even rounds run the
#                                          sections in reverse order, so that drift of
#                                          the machine over the run hits all alike;
#                                          results.md gives medians and every round
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -z "${ANCHORS_DIR:-}" ]]; then
  ANCHORS_DIR="$REPO/../shared/anchors"
  # In a linked git worktree, beside the main checkout.
  if [[ ! -d "$ANCHORS_DIR" ]] && common="$(git -C "$REPO" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)"; then
    ANCHORS_DIR="$(dirname "$common")/../shared/anchors"
  fi
fi
IMPLS="${IMPLS:-zkrecipes curator kazoo gozk}"
export ZK_EXTRA_CFG="${ZK_EXTRA_CFG:-}"
export BENCH_ARGS="${BENCH_ARGS:-}"
export SECTION_TIMEOUT="${SECTION_TIMEOUT:-900}"
# W7 (tree cache) runs zkr bench tree-cache, W8 (service discovery) zkr
# bench discovery.
export WORKLOADS="${WORKLOADS:-w1,w2,w3,w4,w5,w6,w7,w8}"
ROUNDS="${ROUNDS:-1}"

say() { echo "[side-by-side] $*" >&2; }
die() { say "error: $*"; exit 1; }
has_impl() { [[ " $IMPLS " == *" $1 "* ]]; }

[[ -x "$ANCHORS_DIR/run-all.sh" ]] || die "anchor harness not found at $ANCHORS_DIR (set ANCHORS_DIR)"
command -v python3 >/dev/null || die "python3 is needed (aggregate.py)"

# ---------------------------------------------------------------- dependencies
# As the anchors' README says: ZooKeeper, kazoo, Curator (with
# curator-x-discovery), slf4j and a JDK.
missing_pkgs() {
  local pkgs=()
  [[ -f /usr/share/java/zookeeper.jar ]] || pkgs+=(zookeeper)
  command -v java >/dev/null || pkgs+=(default-jdk-headless)
  if has_impl kazoo; then /usr/bin/python3 -c 'import kazoo' 2>/dev/null || pkgs+=(python3-kazoo); fi
  if has_impl curator; then
    command -v javac >/dev/null || pkgs+=(default-jdk-headless)
    [[ -f /usr/share/java/curator-recipes.jar ]] || pkgs+=(libcurator-recipes-java)
    [[ -f /usr/share/java/curator-framework.jar ]] || pkgs+=(libcurator-framework-java)
    # Bench.java's W8 uses curator-x-discovery; javac needs it for any workload.
    [[ -f /usr/share/java/curator-x-discovery.jar ]] || pkgs+=(libcurator-discovery-java)
    [[ -f /usr/share/java/slf4j-nop.jar ]] || pkgs+=(libslf4j-java)
  fi
  if (( ${#pkgs[@]} )); then printf '%s\n' "${pkgs[@]}" | sort -u | tr '\n' ' '; fi
}
need="$(missing_pkgs)"
if [[ -n "$need" ]]; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    say "installing: $need"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >&2
  else
    die "missing packages: $need
  install them as root: apt-get update && apt-get install -y $need
  (or run a subset, e.g. IMPLS=\"zkrecipes gozk\")"
  fi
fi

# ---------------------------------------------------------------- build zkr
if [[ -z "${ZKR:-}" ]]; then
  ZKR="$REPO/bin/zkr"
  say "building zkr"
  (cd "$REPO" && go build -o bin/zkr ./cmd/zkr)
fi
ZKR="$(cd "$(dirname "$ZKR")" && pwd)/$(basename "$ZKR")"
[[ -x "$ZKR" ]] || die "zkr binary $ZKR is not executable"
export ZKR_BIN="$ZKR"

# ---------------------------------------------------------------- harness copy
TMP="$(mktemp -d "${TMPDIR:-/tmp}/zkr-side-by-side-XXXXXX")"
cleanup() { if [[ "${KEEP_TMP:-0}" == 1 ]]; then say "kept $TMP"; else rm -rf "$TMP"; fi; }
trap cleanup EXIT
H="$TMP/anchors"
mkdir -p "$H"
# everything but earlier runs and build products
(cd "$ANCHORS_DIR" && tar --exclude=./runs --exclude=./gozk/gozk-bench --exclude=./curator/classes -cf - .) | (cd "$H" && tar -xf -)
chmod -R u+w "$H"

python3 - "$H" <<'PY'
import sys, pathlib
h = pathlib.Path(sys.argv[1])

run = h / "run-all.sh"
s = run.read_text()
# The selected workloads among W1..W6 (run-all.sh's sel), after zkr's own
# raw baseline (impl zkrecipes-raw: our client's round trip).
branch = '''    zkrecipes)
      wl=$(sel w1,w2,w3,w4,w5,w6)
      if [[ -n "$wl" ]]; then
        log "[zkrecipes] raw,$wl (zkr bench)"
        "$ZKR_BIN" bench --connect "$CONNECT" --root "/bench-zkrecipes-$ts" --impl zkrecipes \\
            --workloads "raw,$wl" $BENCH_ARGS >> "$OUT/$impl.out" 2>> "$OUT/$impl.err"
      fi
      # W7 as the anchors run theirs: the go-zookeeper raw load floors on the
      # same server first, then our tree cache in its own process.
      if has w7; then
        w7_floor "$impl" "$ts"
        log "[zkrecipes] w7 (cache.Tree, zkr bench)"
        "$ZKR_BIN" bench --connect "$CONNECT" --root "/bench-zkrecipes-w7-$ts" --impl zkrecipes \\
            --workloads w7 $BENCH_ARGS >> "$OUT/$impl.out" 2>> "$OUT/$impl.err"
      fi ;;
'''
anchor = '    *)\n      echo "unknown impl $impl" >&2; return 1 ;;'
if anchor not in s:
    sys.exit("side-by-side: run-all.sh has changed: cannot find the run_section fallback case")
s = s.replace(anchor, branch + anchor, 1)
# W8 (service discovery) in run-all.sh's W8 case, on its own fresh server.
w8anchor = '      gozk)\n        ./gozk/gozk-bench --connect "$CONNECT" --root "/bench-gozk-w8-$ts" --workloads w8'
if w8anchor not in s:
    sys.exit("side-by-side: run-all.sh has changed: cannot find its W8 case")
w8branch = '''      zkrecipes)
        "$ZKR_BIN" bench --connect "$CONNECT" --root "/bench-zkrecipes-w8-$ts" --impl zkrecipes --workloads w8 $BENCH_ARGS \\
            >> "$OUT/$impl.out" 2>> "$OUT/$impl.err" ;;
'''
s = s.replace(w8anchor, w8branch + w8anchor, 1)
# Build and check the other implementations only when their section runs,
# so that a subset (IMPLS="zkrecipes gozk") needs neither javac nor kazoo.
for line, impl in [
    ('javac -nowarn -cp "$CP" -d curator/classes curator/Bench.java', "curator"),
    ('"$PY" -c \'import kazoo; assert kazoo.__version__ == "2.8.0", kazoo.__version__\'', "kazoo"),
]:
    if line not in s:
        sys.exit("side-by-side: run-all.sh has changed: cannot find: " + line)
    s = s.replace(line, 'if [[ " $IMPLS " == *" %s "* ]]; then %s; fi' % (impl, line), 1)
s = s.replace('"go": "$(go version', '"zkr": "$("$ZKR_BIN" version 2>/dev/null || echo dev)", "go": "$(go version', 1)
# A bench program that hangs (seen with kazoo's DoubleBarrier on a loaded
# machine) must not stall the whole run: each one gets SECTION_TIMEOUT.
for cmd in ['./gozk/gozk-bench --connect', 'java -Xms256m', '"$PY" kazoo/bench.py', '"$ZKR_BIN" bench']:
    if cmd not in s:
        sys.exit("side-by-side: run-all.sh has changed: cannot find: " + cmd)
    s = s.replace(cmd, 'timeout "$SECTION_TIMEOUT" ' + cmd)
run.write_text(s)

agg = h / "aggregate.py"
a = agg.read_text()
# zkrecipes first in the tables (prefixes, so that the anchors' own lists
# may change).
import re
a, n1 = re.subn(r'IMPL_ORDER = \{', 'IMPL_ORDER = {"zkrecipes-raw": -2, "zkrecipes": -1, ', a, count=1)
a, n2 = re.subn(r'impls = \[i for i in \[', 'impls = [i for i in ["zkrecipes", ', a, count=1)
if n1 != 1 or n2 != 1:
    sys.exit("side-by-side: aggregate.py has changed: cannot find IMPL_ORDER or the headline impls list")
agg.write_text(a)
PY

# ---------------------------------------------------------------- run
if [[ -z "${PORT:-}" ]]; then
  PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
fi
[[ "$PORT" != 2181 ]] || die "refusing port 2181"
export PORT IMPLS
label=fsync
if [[ "$ZK_EXTRA_CFG" == *forceSync=no* ]]; then label=nofsync; fi
say "IMPLS=\"$IMPLS\" ZK_EXTRA_CFG=\"${ZK_EXTRA_CFG:-}\" BENCH_ARGS=\"$BENCH_ARGS\" WORKLOADS=\"$WORKLOADS\" ROUNDS=$ROUNDS PORT=$PORT"
order="$IMPLS"
for ((round = 1; round <= ROUNDS; round++)); do
  say "round $round of $ROUNDS: $order"
  (cd "$H" && IMPLS="$order" ./run-all.sh)
  order="$(echo $order | tr ' ' '\n' | tac | tr '\n' ' ' | sed 's/ $//')"
done
if ((ROUNDS > 1)); then
  # shellcheck disable=SC2046
  (cd "$H" && python3 aggregate.py results.md results.json $(ls -d runs/*/))
fi

# ---------------------------------------------------------------- keep results
DEST="$REPO/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-$label"
mkdir -p "$DEST"
cp "$H/results.md" "$H/results.json" "$DEST/"
if ((ROUNDS > 1)); then
  i=0
  for run_dir in "$H"/runs/*/; do
    i=$((i + 1))
    mkdir -p "$DEST/run$i"
    cp "$run_dir"/* "$DEST/run$i/"
  done
else
  run_dir="$(ls -d "$H"/runs/*/ | tail -1)"
  mkdir -p "$DEST/run"
  cp "$run_dir"/* "$DEST/run/"
fi
# The logs name the temporary harness copy: keep machine paths out of them.
grep -rlF "$TMP" "$DEST" | while read -r f; do sed -i "s|$TMP|<harness>|g" "$f"; done
say "results: ${DEST#$REPO/}/results.md"
cat "$DEST/results.md"
