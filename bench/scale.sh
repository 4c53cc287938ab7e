#!/usr/bin/env bash
# scale.sh: contention at scale side by side, in one run against one
# ZooKeeper (issue #20): zkr beside go-zookeeper and Curator at several
# contender counts, with alternating rounds.
#
#   WORKLOAD=w2  lock-contended: lock.Mutex (cancellable ctx) and
#                go-zookeeper's zk.Lock in zkr's process (zkr bench
#                lock-contended, with the client's CPU, allocations and
#                requests per acquisition), and Curator's InterProcessMutex
#                (the anchors' Bench.java, W2 with --w2-clients N)
#   WORKLOAD=w3  election failover: election.Campaign/Resign and
#                election.Run (zkr bench election-failover), go-zookeeper's
#                zk.Lock used as an election (the anchors' gozk program,
#                W3), Curator's LeaderLatch and LeaderSelector (Bench.java
#                W3), each with --w3-candidates N
#
# Every program is the anchors' (../shared/anchors, or $ANCHORS_DIR), built
# into a temporary directory; nothing there is modified. Within a count,
# odd rounds run the programs in the order below and even rounds in reverse
# (zkr's two W2 variants too), so that drift of the loaded machine hits all
# alike. The RESULT lines, each with its round, go to
# $OUT/results.jsonl and a table of medians to $OUT/README.md.
#
# Env knobs: WORKLOAD (w2), COUNTS (w2: 8,64,256,1024; w3: 8,64,256),
# ROUNDS (3), WARM (1 s) and DUR (4 s) for W2, W3_ROUNDS (30),
# ZK_EXTRA_CFG (forceSync=no), PORT (2393), ZKR (prebuilt zkr binary),
# OUT (bench/results/<timestamp>-scale-<workload>).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -z "${ANCHORS_DIR:-}" ]]; then
  ANCHORS_DIR="$REPO/../shared/anchors"
  if [[ ! -d "$ANCHORS_DIR" ]] && common="$(git -C "$REPO" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)"; then
    ANCHORS_DIR="$(dirname "$common")/../shared/anchors"
  fi
fi
WORKLOAD="${WORKLOAD:-w2}"
case "$WORKLOAD" in
  w2) COUNTS="${COUNTS:-8,64,256,1024}" ;;
  w3) COUNTS="${COUNTS:-8,64,256}" ;;
  *) echo "scale.sh: WORKLOAD is w2 or w3" >&2; exit 2 ;;
esac
ROUNDS="${ROUNDS:-3}"
WARM="${WARM:-1}"
DUR="${DUR:-4}"
W3_ROUNDS="${W3_ROUNDS:-30}"
PORT="${PORT:-2393}"
export ZK_EXTRA_CFG="${ZK_EXTRA_CFG-forceSync=no}"
CONNECT="127.0.0.1:$PORT"
OUT="${OUT:-$REPO/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-scale-$WORKLOAD}"
mkdir -p "$OUT"
TMP="$(mktemp -d)"
CP=/usr/share/java/curator-recipes.jar:/usr/share/java/curator-framework.jar:/usr/share/java/curator-client.jar:/usr/share/java/curator-x-discovery.jar:/usr/share/java/slf4j-nop.jar

say() { echo "[scale $(date -u +%H:%M:%S)] $*" >&2; }
ZK_UP=0
cleanup() {
  if [[ "$ZK_UP" == 1 ]]; then "$ANCHORS_DIR/stop-zk.sh" "$PORT" >/dev/null 2>&1 || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

say "build: zkr, the anchors' gozk program and Bench.java (in $TMP)"
if [[ -n "${ZKR:-}" ]]; then cp "$ZKR" "$TMP/zkr"; else (cd "$REPO" && go build -o "$TMP/zkr" ./cmd/zkr); fi
cp -r "$ANCHORS_DIR/gozk" "$TMP/gozk"
(cd "$TMP/gozk" && go build -o "$TMP/gozk-bench" .)
mkdir -p "$TMP/classes"
javac -nowarn -cp "$CP" -d "$TMP/classes" "$ANCHORS_DIR/curator/Bench.java"

"$ANCHORS_DIR/start-zk.sh" "$PORT" >/dev/null
ZK_UP=1
say "zookeeper on $CONNECT (${ZK_EXTRA_CFG:-fsync on}); load $(uptime | sed 's/.*load average: //')"
# Warm the server up (and the JIT) before the first measured round.
"$TMP/gozk-bench" --connect "$CONNECT" --root "/scale-warm-$$" --workloads raw > /dev/null 2>&1 || true

# tag ROUND N: RESULT lines of stdin, with their round and count, appended
# to results.jsonl
tag() {
  python3 -c '
import json, sys
r, n = int(sys.argv[1]), int(sys.argv[2])
with open(sys.argv[3], "a") as out:
    for line in sys.stdin:
        if line.startswith("RESULT "):
            d = json.loads(line[7:])
            d["round"], d["count"] = r, n
            out.write(json.dumps(d) + "\n")
            print("  ", d.get("impl"), d.get("variant"), {k: d.get(k) for k in ("acq_s", "handoff_p50_us", "cpu_us_per_acq", "p50_ms")}, file=sys.stderr)
' "$1" "$2" "$OUT/results.jsonl"
}

run_one() { # run_one PROGRAM COUNT ROUND
  local prog="$1" n="$2" r="$3" root="/scale-$1-$2-$3-$(date +%s%N)"
  local zk_variants="mutex,zk.Lock"
  (( r % 2 == 0 )) && zk_variants="zk.Lock,mutex"
  case "$WORKLOAD/$prog" in
    w2/zkr)
      "$TMP/zkr" bench lock-contended --servers "$CONNECT" --json --root "$root" --w2-counts "$n" \
        --w2-variants "$zk_variants" --w2-warmup-s "$WARM" --w2-duration-s "$DUR" ;;
    w2/curator)
      java -Xms256m -Xmx2g -Xss256k -cp "$CP:$TMP/classes" Bench --connect "$CONNECT" --root "$root" \
        --workloads w2 --w2-clients "$n" --w2-warmup-s "$WARM" --w2-duration-s "$DUR" ;;
    w3/zkr)
      "$TMP/zkr" bench election-failover --servers "$CONNECT" --json --root "$root" \
        --w3-candidates "$n" --w3-rounds "$W3_ROUNDS" ;;
    w3/gozk)
      "$TMP/gozk-bench" --connect "$CONNECT" --root "$root" --workloads w3 \
        --w3-candidates "$n" --w3-rounds "$W3_ROUNDS" ;;
    w3/curator)
      java -Xms256m -Xmx2g -Xss256k -cp "$CP:$TMP/classes" Bench --connect "$CONNECT" --root "$root" \
        --workloads w3 --w3-candidates "$n" --w3-rounds "$W3_ROUNDS" ;;
  esac 2>> "$OUT/stderr.log" | tag "$r" "$n" || say "$prog at $n, round $r: failed (see stderr.log)"
}

progs=(zkr curator)
[[ "$WORKLOAD" == w3 ]] && progs=(zkr gozk curator)
: > "$OUT/results.jsonl"
for n in ${COUNTS//,/ }; do
  for r in $(seq 1 "$ROUNDS"); do
    order=("${progs[@]}")
    if (( r % 2 == 0 )); then order=(); for ((i=${#progs[@]}-1; i>=0; i--)); do order+=("${progs[$i]}"); done; fi
    for prog in "${order[@]}"; do
      say "$WORKLOAD: $prog, $n, round $r"
      run_one "$prog" "$n" "$r"
    done
  done
done

python3 - "$OUT" "$WORKLOAD" "$ZK_EXTRA_CFG" "$ROUNDS" "$(uptime | sed 's/.*load average: //')" <<'EOF'
import json, statistics, sys
out, wl, cfg, rounds, load = sys.argv[1:]
rows = [json.loads(l) for l in open(out + "/results.jsonl")]
def med(xs):
    xs = [x for x in xs if isinstance(x, (int, float))]
    return round(statistics.median(xs), 2) if xs else "-"
groups = {}
for d in rows:
    groups.setdefault((d["count"], d.get("impl"), d.get("variant")), []).append(d)
if wl == "w2":
    fields = [("acq_s", "acq/s"), ("handoff_p50_us", "handoff p50 µs"), ("handoff_p99_us", "p99 µs"),
              ("cpu_us_per_acq", "CPU µs/acq"), ("allocs_per_acq", "allocs/acq"), ("requests_per_acq", "requests/acq"),
              ("violations", "violations")]
else:
    fields = [("p50_ms", "failover p50 ms"), ("p99_ms", "p99 ms"), ("round_trips_per_op", "requests/failover"),
              ("rounds", "rounds"), ("timeouts", "timeouts")]
lines = [f"Medians of {rounds} alternating rounds per count, one ZooKeeper 3.8 ({cfg or 'fsync on'}), "
         f"load average at the end {load}. Raw lines: results.jsonl.", "",
         "| count | impl | variant | " + " | ".join(h for _, h in fields) + " |",
         "|---" * (3 + len(fields)) + "|"]
for (n, impl, var), ds in sorted(groups.items(), key=lambda kv: (kv[0][0], str(kv[0][1]), str(kv[0][2]))):
    lines.append(f"| {n} | {impl} | {var} | " + " | ".join(str(med([d.get(k) for d in ds])) for k, _ in fields) + " |")
open(out + "/README.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
