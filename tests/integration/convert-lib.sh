# Round trips of a stream through vmstate convert, for tests that source
# it (convert.sh on shared and engine streams, analyze-qemu.sh on the
# streams QEMU 7.2 makes at test time). Needs tap.sh, $VMSTATE and $tmp.

# der_ok FILE: openssl parses all of it (-noout would skip the parse).
der_ok() {
    openssl asn1parse -inform DER -in "$1" >/dev/null 2>&1
}

# converts NAME STREAM: wire -> ber -> wire and wire -> json -> wire give
# the same bytes (sha256), the DER parses with openssl.
converts() {
    local name=$1 mig=$2 enc want got
    want=$(sha256sum <"$mig" | cut -d' ' -f1)
    for enc in ber json; do
        rm -f "$tmp/conv.$enc" "$tmp/conv.$enc.mig"
        if ! "$VMSTATE" convert "$mig" "$tmp/conv.$enc" --to "$enc" \
                2>"$tmp/conv.err" ||
           ! "$VMSTATE" convert "$tmp/conv.$enc" "$tmp/conv.$enc.mig" \
                --to wire 2>>"$tmp/conv.err"; then
            not_ok "$name: wire -> $enc -> wire"
            sed 's/^/# /' "$tmp/conv.err" | head -5
            continue
        fi
        got=$(sha256sum <"$tmp/conv.$enc.mig" | cut -d' ' -f1)
        same "$name: wire -> $enc -> wire is byte-identical (sha256)" \
            "$want" "$got"
    done
    if command -v openssl >/dev/null && [ -s "$tmp/conv.ber" ]; then
        check "$name: openssl asn1parse reads the DER" der_ok "$tmp/conv.ber"
    fi
    rm -f "$tmp/conv.ber" "$tmp/conv.json" "$tmp/conv.ber.mig" \
        "$tmp/conv.json.mig"
}
