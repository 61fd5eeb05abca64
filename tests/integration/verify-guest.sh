#!/usr/bin/env bash
# vmstate verify on a stream saved live from a booted Linux guest
# (tests/guest/linux-guest.sh), judged by real QEMU 7.2 and 10.0 loads;
# see tests/verify/guest.py.
exec python3 "$(dirname "$0")/../verify/guest.py" "$@"
