# What the benchmarks of big streams share: source it from bench/NAME.sh
# after "set -euo pipefail", with the build directory as $1 (default
# build/). Sets here, V (the vmstate binary), HMP and tmp (removed at exit).
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
V=$build/tools/vmstate
HMP=${VMS_SHARED:-$here/../shared}/testdata/streams/hmp.py
[ -x "$V" ] || { echo "bench: build first ($V missing)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vms-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# guest_stream FILE MIB BLOB ADDR: a stream made here by QEMU 7.2: a
# stopped pc guest of MIB MiB holding BLOB (a head -c size) random bytes
# at guest-physical ADDR (real data, not zero pages), migrated to FILE.
# The blob stays in $tmp/blob for callers that need it.
guest_stream() {
    local f=$1 mib=$2 blob=$3 addr=$4
    [ -f "$HMP" ] || { echo "bench: $HMP missing" >&2; exit 1; }
    echo "making the stream ($mib MiB guest, $blob random blob at $addr)..." >&2
    head -c "$blob" /dev/urandom >"$tmp/blob"
    qemu-system-x86_64 -accel tcg -nodefaults -display none \
        -M pc-i440fx-7.2 -m "$mib" \
        -device "loader,file=$tmp/blob,addr=$addr,force-raw=on" \
        -monitor "unix:$tmp/sock,server=on,wait=off" >/dev/null 2>&1 &
    local qpid=$!
    python3 "$HMP" "$tmp/sock" SLEEP:2 stop "migrate \"exec:cat > $f\"" \
        WAITMIG quit >/dev/null
    wait $qpid || true
    echo "stream: $(stat -c %s "$f") bytes" >&2
}

# big_stream FILE: the benchmark stream, ~1.08 GB (a 2 GiB guest holding a
# 1 GiB random blob at 256 MiB).
big_stream() { guest_stream "$1" 2048 1G 0x10000000; }

# t CMD...: wall seconds of the command (stdout discarded, its exit status
# ignored: diff exits 1 for different streams), the best of $BENCH_RUNS
# (2); bench_before, when defined, runs before each (removing outputs).
t() {
    local best= s e
    for _ in $(seq "${BENCH_RUNS:-2}"); do
        if declare -F bench_before >/dev/null; then bench_before; fi
        s=$(date +%s.%N)
        "$@" >/dev/null || true
        e=$(date +%s.%N)
        best=$(echo "$s $e $best" | awk '{d = $2 - $1; if ($3 == "" || d < $3) print d; else print $3}')
    done
    echo "$best"
}
# median X...: the middle one of the numbers (the lower of the two middle).
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
