"""TAP for the integration tests written in python (tap.sh is the shell's):
"ok N - what" / "not ok N - what" with up to 8 lines of detail on failure,
then the plan and the exit status from done()."""
import sys

_n = 0
_failed = 0


def result(good, what, detail=""):
    global _n, _failed
    _n += 1
    _failed += not good
    print("%s %d - %s" % ("ok" if good else "not ok", _n, what))
    if not good and detail:
        for line in str(detail).splitlines()[:8]:
            print("# " + line)


def done():
    print("1..%d" % _n)
    sys.exit(1 if _failed else 0)
