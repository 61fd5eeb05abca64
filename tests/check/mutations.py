#!/usr/bin/env python3
"""Mutation tests for `vmstate check`: variants derived from a real
-dump-vmstate file, each with the exact lines and exit status QEMU's
checker gives for it, in text and in --format json. Prints TAP."""
import copy
import json
import os
import subprocess
import sys
import tempfile

VMSTATE = os.environ["VMSTATE"]
SHARED = os.environ.get("VMS_SHARED", "")
tmp = tempfile.mkdtemp(prefix="vms-mut-")
results = []


def base_dump():
    path = os.path.join(tmp, "base.json")
    if os.environ.get("VMS_QEMU_TESTS") == "1":
        r = subprocess.run(["qemu-system-x86_64", "-M", "pc-i440fx-7.2",
                            "-nodefaults", "-display", "none",
                            "-dump-vmstate", path], capture_output=True)
        if r.returncode == 0:
            return path, "QEMU 7.2 pc-i440fx-7.2 (made now)"
    shared = os.path.join(SHARED, "testdata/checker",
                          "qemu7.2-x86_64-pc-i440fx-7.2.json")
    if os.path.exists(shared):
        return shared, "shared qemu7.2 dump"
    return None, None


def write(name, data):
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
    return path


def run(src, dest, *extra):
    r = subprocess.run([VMSTATE, "check", "-s", src, "-d", dest] +
                       list(extra), capture_output=True)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def ok(cond, name, diag=""):
    results.append((cond, name, diag))


def fields(d, sec="e1000"):
    return d[sec]["Description"]["Fields"]


def idx(fl, name):
    return [f["field"] for f in fl].index(name)


def check_case(name, base, mutate, expected, kinds, side="dest",
               reverse_too=False, raw=None):
    """expected: the exact stdout; kinds: finding kinds in order."""
    src = copy.deepcopy(base)
    dest = copy.deepcopy(base)
    mutate(dest if side == "dest" else src)
    sp, dp = write(name + ".src", src), write(name + ".dest", dest)
    rc, out, err = run(sp, dp)
    want_rc = sum(1 for k in kinds if k[1])
    ok(out == expected and rc == want_rc and err == "",
       f"{name}: text output and exit status",
       f"rc={rc} want {want_rc}\n--- got\n{out}--- want\n{expected}{err}")
    rc2, jout, err2 = run(sp, dp, "--format", "json")
    try:
        doc = json.loads(jout)
        got_kinds = [(f["kind"], f["counted"]) for f in doc["findings"]]
        good = (rc2 == rc and doc["errors"] == rc and got_kinds == kinds
                and doc["src"] == sp and doc["dest"] == dp)
        # Text lines and JSON findings are the same records, 1:1.
        text = "".join('Section "%s" ' % f["section"]
                       if f["kind"] == "min_version" and not f["counted"]
                       else f["message"] + "\n" for f in doc["findings"])
        good = good and text == out
        ok(good, f"{name}: --format json kinds match the text",
           f"{got_kinds} want {kinds}; rc {rc2}")
    except (ValueError, KeyError) as e:
        ok(False, f"{name}: --format json parses", f"{e}: {jout[:300]}")
    if reverse_too:
        rc, out, err = run(sp, dp, "--reverse")
        ok(out == expected and rc == want_rc,
           f"{name}: same with --reverse", f"rc={rc}\n{out}")


def main():
    path, what = base_dump()
    if not path:
        print("1..0 # SKIP no QEMU and no ../shared dump")
        return 0
    with open(path) as f:
        base = json.load(f)
    print(f"# base dump: {what}")
    e1000 = fields(base)
    assert "e1000-82540em" not in base
    last = e1000[-1]["field"]
    S = 'Section "e1000"'
    SD = 'Section "e1000", Description "e1000":'
    SD2 = 'Section "e1000" Description "e1000":'

    rc, out, err = run(path, path)
    ok(rc == 0 and out == "" and err == "", "dump against itself: silent")

    def remove_section(d):
        del d["e1000"]
    check_case("section-removed", base, remove_section,
               f'{S} does not exist in dest\n',
               [("section_missing", True)])

    def rename_section(d):
        d["e1000-82540em"] = d.pop("e1000")
    check_case("section-renamed-table", base, rename_section, "", [])

    def remove_field(d):
        fl = fields(d)
        del fl[idx(fl, "rxbuf_min_shift")]
    check_case("field-removed", base, remove_field,
               f'{SD} expected field "rxbuf_min_shift", got '
               f'"eecd_state.val_in"; skipping rest\n',
               [("field_mismatch", True)])

    def remove_last(d):
        fields(d).pop()
    check_case("last-field-removed", base, remove_last,
               f'{SD} expected field "{last}", while dest has no further '
               f'fields\n', [("no_more_fields", True)])

    def rename_allowed(d):
        fields(d)[0]["field"] = "dev"
    check_case("field-renamed-allowed", base, rename_allowed, "", [],
               reverse_too=True)

    def rename_other(d):
        fl = fields(d)
        fl[idx(fl, "rxbuf_size")]["field"] = "rxbuf_sz"
    check_case("field-renamed-other", base, rename_other,
               f'{SD} expected field "rxbuf_size", got "rxbuf_sz"; '
               f'skipping rest\n', [("field_mismatch", True)])

    v = base["e1000"]["version_id"]

    def raise_section_version(d):
        d["e1000"]["version_id"] = v + 1
    check_case("section-version-raised", base, raise_section_version,
               f'{S} version error: {v + 1} > {v}\n',
               [("version", True)], side="src")

    dv = base["e1000"]["Description"]["version_id"]

    def raise_desc_version(d):
        d["e1000"]["Description"]["version_id"] = dv + 1
    check_case("description-version-raised", base, raise_desc_version,
               f'{SD2} version error: {dv + 1} > {dv}\n',
               [("version", True)], side="src")

    def raise_min(d):
        d["e1000"]["Description"]["minimum_version_id"] = dv + 1
    check_case("minimum-version-raised", base, raise_min,
               f'{SD2} minimum version error: {dv} < {dv + 1}\n',
               [("min_version", True)])

    def raise_section_min(d):
        d["e1000"]["minimum_version_id"] = v + 1
    # QEMU's quirk: 'Section "S" ', no newline, not counted.
    check_case("section-minimum-version-raised", base, raise_section_min,
               f'{S} ', [("min_version", False)])

    def change_size(d):
        fl = fields(d)
        fl[idx(fl, "rxbuf_size")]["size"] = 8
    check_case("size-changed", base, change_size,
               f'{S} Description "e1000" Field "rxbuf_size" size mismatch: '
               f'4 , 8\n', [("size", True)])

    def rename_desc(d):
        d["e1000"]["Description"]["name"] = "e1000x"
    check_case("description-renamed", base, rename_desc,
               f'{S}: Description "e1000" missing, got "e1000x" instead; '
               f'skipping\n', [("description_renamed", True)])

    def remove_fields(d):
        del d["e1000"]["Description"]["Fields"]
    check_case("fields-removed", base, remove_fields,
               f'{SD2} Entry "Fields" missing\n', [("entry_missing", True)])

    def remove_description(d):
        del d["e1000"]["Description"]
    check_case("description-removed", base, remove_description,
               f'{S}: Entry "Description" missing\n',
               [("entry_missing", True)])

    def remove_struct_description(d):
        del fields(d)[0]["Description"]
    check_case("struct-description-removed", base, remove_struct_description,
               f'{S}, Description "e1000", Field "parent_obj": missing '
               f'description\n', [("description_missing", True)])

    def remove_subsection(d):
        subs = d["e1000"]["Description"]["Subsections"]
        d["e1000"]["Description"]["Subsections"] = [
            s for s in subs if s["name"] != "e1000/full_mac_state"]
    check_case("subsection-removed", base, remove_subsection,
               f'{SD} Subsection "e1000/full_mac_state" not found\n',
               [("subsection_missing", True)])

    def remove_subsections(d):
        del d["e1000"]["Description"]["Subsections"]
    check_case("subsections-removed", base, remove_subsections,
               f'{SD2} Entry "Subsections" missing\n',
               [("entry_missing", True)])

    def into_substruct(d):
        fl = fields(d)
        i = idx(fl, "rxbuf_size")
        moved = fl[i:i + 2]
        fl[i:i + 2] = [{
            "field": "rx", "version_id": 0, "field_exists": False,
            "size": 8,
            "Description": {"name": "e1000/rx", "version_id": 1,
                            "minimum_version_id": 1, "Fields": moved}}]
    check_case("fields-into-substruct", base, into_substruct, "", [])
    check_case("fields-out-of-substruct", base, into_substruct, "", [],
               side="src")

    def unused_cover(size, num=None):
        def m(d):
            fl = fields(d)
            i = idx(fl, "rxbuf_size")
            u = {"field": "unused", "version_id": 0, "field_exists": False,
                 "size": size}
            if num is not None:
                u["num"] = num
            fl[i:i + 2] = [u]
        return m
    check_case("unused-covers-two-fields", base, unused_cover(8), "", [])
    check_case("unused-covers-two-fields-num", base, unused_cover(1, 8),
               "", [])
    check_case("unused-covers-two-fields-src", base, unused_cover(8), "",
               [], side="src")
    check_case("unused-wrong-size", base, unused_cover(6),
               f'{SD} unused size mismatch near " rxbuf_min_shift"\n',
               [("unused_size", True)])

    print(f"1..{len(results)}")
    for n, (good, name, diag) in enumerate(results, 1):
        print(f"{'ok' if good else 'not ok'} {n} - {name}")
        if not good:
            for line in diag.splitlines():
                print(f"# {line}")
    return 0


sys.exit(main())
