#!/usr/bin/env python3
"""No circle between the library's files (TAP).

Three graphs, each must be acyclic:
  - includes: which of src/*.h and include/vmstate/*.h a header includes;
  - uses: which object file of libvmstate uses a symbol another defines
    (nm on the static library): a.c -> b.c when a.c calls into b.c. A
    circle there means two files that are one concept, or a lower layer
    reaching up (the dump calling the description builder above it).
Callbacks (function pointers) are no edge: that is how a lower layer
hands work to an upper one.
  - uses and includes: the uses, plus a.c -> b.c when a.c includes a
    private header declaring functions that b.c defines: a lower layer
    may not even know the types of the one above (the dump keeps the
    description cache behind an opaque slot, vms__dump_cache, and
    includes nothing of dumpdesc.c).

usage: circles.py LIBVMSTATE.a SRCDIR INCLUDEDIR
"""
import collections
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..',
                                'integration'))
import tap  # noqa: E402


def cycles(graph):
    """The strongly connected components with more than one node."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def describe(graph, comp):
    return '; '.join('%s -> %s' % (a, ', '.join(sorted(
        b for b in graph[a] if b in comp))) for a in comp)


def include_graph(dirs):
    graph = collections.defaultdict(set)
    names = {}
    for d, prefix in dirs:
        for f in os.listdir(d):
            if f.endswith('.h'):
                names[prefix + f] = os.path.join(d, f)
    inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
    for name, path in names.items():
        graph[name]
        with open(path) as fh:
            for target in inc.findall(fh.read()):
                # public headers include each other without the prefix
                for cand in (target, 'vmstate/' + target):
                    if cand in names:
                        graph[name].add(cand)
                        break
    return graph


def header_owners(srcdir, defs):
    """src/*.h -> the object files defining the functions it declares."""
    decl = re.compile(r'\b(vms_\w+)\s*\(')
    owners = {}
    for f in os.listdir(srcdir):
        if f.endswith('.h'):
            with open(os.path.join(srcdir, f)) as fh:
                owners[f] = {defs[n] for n in decl.findall(fh.read())
                             if n in defs}
    return owners


def include_use_graph(srcdir, uses, defs):
    owners = header_owners(srcdir, defs)
    inc = re.compile(r'^\s*#\s*include\s+"([^"/]+)"', re.M)
    graph = {o: set(t) for o, t in uses.items()}
    for obj in graph:
        path = os.path.join(srcdir, obj)
        if not os.path.exists(path):
            continue
        with open(path) as fh:
            for h in inc.findall(fh.read()):
                # a header of several files (container.h) is each one's own
                if obj not in owners.get(h, ()):
                    graph[obj] |= owners.get(h, set())
    return graph


def use_graph(archive):
    # POSIX format: "LIB.a[file.c.o]: symbol type [value size]"
    out = subprocess.run(['nm', '-A', '-P', archive], check=True,
                         capture_output=True, text=True).stdout
    line_re = re.compile(r'\[([^\]]+?)\.o(?:bj)?\]: (\S+) (\w)')
    defs, uses = {}, collections.defaultdict(set)
    objects = set()
    for line in out.splitlines():
        m = line_re.search(line)
        if not m:
            continue
        obj, sym, kind = m.groups()
        objects.add(obj)
        if kind == 'U':
            uses[obj].add(sym)
        elif kind in 'TDRBCVW':
            defs.setdefault(sym, obj)
    graph = {o: set() for o in objects}
    for obj, syms in uses.items():
        for s in syms:
            owner = defs.get(s)
            if owner and owner != obj:
                graph[obj].add(owner)
    return graph, defs


def main():
    archive, srcdir, incdir = sys.argv[1:4]
    incs = include_graph([(srcdir, ''),
                          (os.path.join(incdir, 'vmstate'), 'vmstate/')])
    found = cycles(incs)
    tap.result(len(incs) > 20 and not found,
               'no include circle among %d headers' % len(incs),
               '\n'.join('circle: ' + describe(incs, c) for c in found))
    uses, defs = use_graph(archive)
    found = cycles(uses)
    tap.result(len(uses) > 20 and not found,
               'no circle of calls among %d object files' % len(uses),
               '\n'.join('circle: ' + describe(uses, c) for c in found))
    both = include_use_graph(srcdir, uses, defs)
    found = cycles(both)
    tap.result(len(both) > 20 and not found,
               'no circle of calls and private-header includes',
               '\n'.join('circle: ' + describe(both, c) for c in found))
    # The dump keeps its cache opaque: dump.c includes no header of
    # dumpdesc.c (whose descriptions the cache holds), and were it to
    # include dumpdesc.h, the graph above would have a circle (dumpdesc.c
    # calls into dump.c).
    owners = header_owners(srcdir, defs)
    tap.result(owners.get('dumpdesc.h') == {'dumpdesc.c'}
               and 'dumpdesc.c' not in both.get('dump.c', {'dumpdesc.c'}),
               'dump.c includes nothing of dumpdesc.c (opaque cache slot)')
    worse = {o: set(t) for o, t in both.items()}
    worse.setdefault('dump.c', set()).add('dumpdesc.c')
    tap.result(any({'dump.c', 'dumpdesc.c'} <= set(c) for c in cycles(worse)),
               'dump.c including dumpdesc.h would be a circle')
    # The checker sees a circle when there is one.
    tap.result(cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}})
               == [['a', 'b', 'c']],
               'a made-up circle a -> b -> c -> a is found')
    tap.done()


if __name__ == '__main__':
    main()
