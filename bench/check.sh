#!/usr/bin/env bash
# Benchmark of `vmstate check` on the largest real dump pair: QEMU 7.2's
# aarch64 virt-7.2 against virt-7.1 (~1.9 MB each), next to the floor any
# python checker pays (json.load of both files), measured in the same run.
# Target: our median <= 1/5 of python's; peak RSS <= 3x the two files.
# Then --matrix over every dump tests/check/crossdumps.sh makes (QEMU 5.2,
# 7.2, 10.0; x86, arm, ppc64, s390x; old and new machine types): the whole
# matrix against python parsing the same files once with json.load.
# Target: matrix median <= 1x python's.
# Usage: bench/check.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-100}
case $build in /*) ;; *) build=$PWD/$build ;; esac
vmstate=$build/tools/vmstate
[ -x "$vmstate" ] || { echo "build first: bash scripts/build.sh $build" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in virt-7.2 virt-7.1; do
    qemu-system-aarch64 -M "$m" -nodefaults -display none \
        -dump-vmstate "$tmp/$m.json"
done
src=$tmp/virt-7.2.json dest=$tmp/virt-7.1.json
ours="$vmstate check -s $src -d $dest"
py="/usr/bin/python3 -c 'import json,sys;[json.load(open(f)) for f in sys.argv[1:]]' $src $dest"
if command -v hyperfine >/dev/null; then
    hyperfine -N -w 5 -r "$runs" --export-json "$tmp/h.json" "$ours" "$py" \
        >/dev/null
else
    # A plain loop: one wall-clock time per run, in seconds.
    python3 - "$runs" "$ours" "$py" >"$tmp/h.json" <<'PY'
import json, shlex, subprocess, sys, time
runs, cmds = int(sys.argv[1]), sys.argv[2:]
res = []
for c in cmds:
    t = []
    for _ in range(runs):
        a = time.perf_counter()
        subprocess.run(shlex.split(c), stdout=subprocess.DEVNULL)
        t.append(time.perf_counter() - a)
    res.append({"command": c, "times": t})
json.dump({"results": res}, sys.stdout)
PY
fi
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ {print $6}'; }
rss_ours=$(rss $vmstate check -s "$src" -d "$dest")
bytes=$(( $(stat -c %s "$src") + $(stat -c %s "$dest") ))
python3 - "$tmp/h.json" "$rss_ours" "$bytes" "$runs" <<'PY'
import json, statistics, sys
h = json.load(open(sys.argv[1]))["results"]
rss, size, runs = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ours, py = (statistics.median(r["times"]) * 1000 for r in h)
print(f"dumps: aarch64 virt-7.2 vs virt-7.1 (QEMU 7.2), {size} bytes, "
      f"{runs} runs each")
print(f"vmstate check          median {ours:7.2f} ms")
print(f"python3 json.load x2   median {py:7.2f} ms")
print(f"ratio                  {py / ours:7.2f}x  (target >= 5x: "
      f"{'met' if py / ours >= 5 else 'NOT met'})")
print(f"peak RSS               {rss} KB = {rss * 1024 / size:.2f}x the two "
      f"files (target <= 3x: {'met' if rss * 1024 <= 3 * size else 'NOT met'})")
PY

# The matrix: every dump crossdumps.sh makes (those of the QEMU releases
# installed), all checked pairwise in one run.
dumps=$(bash tests/check/crossdumps.sh)
files=("$dumps"/*.json)
mruns=$(( runs < 20 ? runs : 20 ))
python3 - "$mruns" "$vmstate" "${files[@]}" <<'PY'
import json, os, statistics, subprocess, sys, time
runs, vmstate, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def med(cmd):
    t = []
    for _ in range(runs):
        a = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.PIPE)
        t.append(time.perf_counter() - a)
    return statistics.median(t) * 1000, p
ours, p = med([vmstate, "check", "--matrix", "--format", "json"] + files)
doc = json.loads(p.stdout)
py, _ = med(["/usr/bin/python3", "-c",
             "import json,sys;[json.load(open(f)) for f in sys.argv[1:]]"]
            + files)
size = sum(os.path.getsize(f) for f in files)
print(f"matrix: {len(files)} dumps ({size} bytes), {len(doc['pairs'])} "
      f"ordered pairs, {sum(len(x['findings']) for x in doc['pairs'])} "
      f"findings, {runs} runs each")
print(f"vmstate check --matrix     median {ours:8.2f} ms")
print(f"python3 json.load once    median {py:8.2f} ms")
print(f"ratio                      {ours / py:8.2f}x  (target <= 1x: "
      f"{'met' if ours <= py else 'NOT met'})")
PY
