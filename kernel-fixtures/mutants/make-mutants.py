#!/usr/bin/env python3
"""Writes the mutants of the seed patch (../route-genid.patch) into this directory.

Each mutant is the seed patch with its '+' side (and where needed its '-' side) edited the way a
tired author or reviewer could get it wrong; hunk headers are recomputed so that every file is a
valid patch against the same pre-image as the seed. Run from anywhere: python3 make-mutants.py
"""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, '..', 'route-genid.patch')

text = open(SEED).read()
head, _, diff = text.partition('diff --git ')
diff = 'diff --git ' + diff
msg_lines = head.split('\n')
subject = msg_lines[0]

file_header, *hunks = re.split(r'(?m)^(?=@@ )', diff)
parsed = []
for h in hunks:
    lines = h.rstrip('\n').split('\n')
    m = re.match(r'@@ -(\d+),(\d+) \+(\d+),(\d+) @@(.*)', lines[0])
    parsed.append({'old': int(m.group(1)), 'section': m.group(5), 'body': lines[1:]})


def render(bodies, name, what):
    out = []
    delta = 0
    for h, body in zip(parsed, bodies):
        old_n = sum(1 for l in body if l[:1] in (' ', '-') or l == '')
        new_n = sum(1 for l in body if l[:1] in (' ', '+') or l == '')
        out.append('@@ -%d,%d +%d,%d @@%s' % (h['old'], old_n, h['old'] + delta, new_n, h['section']))
        out.extend(body)
        delta += new_n - old_n
    message = '\n'.join([subject, '', 'peerprop mutant "%s": %s' % (name, what)] + msg_lines[1:])
    return message + file_header + '\n'.join(out) + '\n'


def mutate(hunk_index, old, new):
    """The seed's hunk bodies with one hunk's lines `old` (consecutive) replaced by `new`."""
    bodies = [list(h['body']) for h in parsed]
    b = bodies[hunk_index]
    for i in range(len(b) - len(old) + 1):
        if b[i:i + len(old)] == old:
            bodies[hunk_index] = b[:i] + new + b[i + len(old):]
            return bodies
    raise SystemExit('mutation context not found: %r' % (old,))


def chain(*steps):
    bodies = [list(h['body']) for h in parsed]
    for (hi, old, new) in steps:
        b = bodies[hi]
        for i in range(len(b) - len(old) + 1):
            if b[i:i + len(old)] == old:
                bodies[hi] = b[:i] + new + b[i + len(old):]
                break
        else:
            raise SystemExit('mutation context not found: %r' % (old,))
    return bodies


ELSE_STAMP = ['+\telse', '+\t\trt->rt_peer_genid = rt_peer_genid();']
CHECK_BLOCK = [
    '+\tif (rt->rt_peer_genid != rt_peer_genid()) {',
    '+\t\tif (!rt->peer)',
    '+\t\t\trt_bind_peer(rt, 0);',
    '+',
    '+\t\trt->rt_peer_genid = rt_peer_genid();',
    '+\t}',
]

MUTANTS = {
    '01-stamp-only-with-peer': (
        'rt_bind_peer() stamps only when it attached a peer (else if (peer)), so a peerless route keeps a stale genid',
        mutate(1, ELSE_STAMP, ['+\telse if (peer)', '+\t\trt->rt_peer_genid = rt_peer_genid();']),
    ),
    '02-stamp-before-lookup': (
        'rt_bind_peer() stamps before the peer lookup, also on the path where the cmpxchg loses',
        chain(
            (0, [' \tstruct inet_peer *peer;'], [' \tstruct inet_peer *peer;', '+', '+\trt->rt_peer_genid = rt_peer_genid();']),
            (1, ELSE_STAMP, []),
        ),
    ),
    '03-check-binds-with-create': (
        'ipv4_dst_check() binds with create=1, creating inetpeers instead of only attaching to existing ones',
        mutate(2, ['+\t\t\trt_bind_peer(rt, 0);'], ['+\t\t\trt_bind_peer(rt, 1);']),
    ),
    '04-compare-less-than': (
        'ipv4_dst_check() compares the genids with < instead of !=, which breaks at the u32 wrap',
        mutate(2, ['+\tif (rt->rt_peer_genid != rt_peer_genid()) {'], ['+\tif (rt->rt_peer_genid < rt_peer_genid()) {']),
    ),
    '05-compare-equal': (
        'ipv4_dst_check() revalidates when the genids are equal (== instead of !=)',
        mutate(2, ['+\tif (rt->rt_peer_genid != rt_peer_genid()) {'], ['+\tif (rt->rt_peer_genid == rt_peer_genid()) {']),
    ),
    '06-no-restamp-in-check': (
        'ipv4_dst_check() does not re-stamp the route after the (optional) bind',
        mutate(2, ['+', '+\t\trt->rt_peer_genid = rt_peer_genid();'], []),
    ),
    '07-restamp-before-expiry-check': (
        'ipv4_dst_check() revalidates (binds and re-stamps) before testing whether the route expired',
        mutate(
            2,
            ['-\tif (rt_is_expired((struct rtable *)dst))', '+\tstruct rtable *rt = (struct rtable *) dst;', '+', '+\tif (rt_is_expired(rt))', ' \t\treturn NULL;'] + CHECK_BLOCK,
            ['-\tif (rt_is_expired((struct rtable *)dst))', '-\t\treturn NULL;', '+\tstruct rtable *rt = (struct rtable *) dst;', '+'] + CHECK_BLOCK + ['+\tif (rt_is_expired(rt))', '+\t\treturn NULL;'],
        ),
    ),
    '08-expiry-check-removed': (
        'ipv4_dst_check() no longer refuses an expired route',
        mutate(
            2,
            ['-\tif (rt_is_expired((struct rtable *)dst))', '+\tstruct rtable *rt = (struct rtable *) dst;', '+', '+\tif (rt_is_expired(rt))', ' \t\treturn NULL;'],
            ['-\tif (rt_is_expired((struct rtable *)dst))', '-\t\treturn NULL;', '+\tstruct rtable *rt = (struct rtable *) dst;', '+'],
        ),
    ),
    '09-plain-store-instead-of-cmpxchg': (
        'rt_bind_peer() tests rt->peer and then stores it plainly instead of cmpxchg(), so two CPUs can both install',
        mutate(
            1,
            ['-\tif (peer && cmpxchg(&rt->peer, NULL, peer) != NULL)'.replace('-', ' ', 1), ' \t\tinet_putpeer(peer);'] + ELSE_STAMP,
            ['-\tif (peer && cmpxchg(&rt->peer, NULL, peer) != NULL)', '+\tif (peer && rt->peer != NULL)', ' \t\tinet_putpeer(peer);', '+\telse {', '+\t\tif (peer)', '+\t\t\trt->peer = peer;', '+\t\trt->rt_peer_genid = rt_peer_genid();', '+\t}'],
        ),
    ),
    '10-plain-u32-counter': (
        'the generation ID is a plain static u32 instead of an atomic_t, so the bumpers of the follow-ups can only do __rt_peer_genid++',
        mutate(
            0,
            ['+static atomic_t __rt_peer_genid = ATOMIC_INIT(0);', '+', '+static u32 rt_peer_genid(void)', '+{', '+\treturn atomic_read(&__rt_peer_genid);', '+}'],
            ['+static u32 __rt_peer_genid;', '+', '+static u32 rt_peer_genid(void)', '+{', '+\treturn __rt_peer_genid;', '+}'],
        ),
    ),
    '11-compare-wrong-counter': (
        "ipv4_dst_check() compares the route's cache generation rt_genid (not rt_peer_genid) with the peer genid",
        mutate(2, ['+\tif (rt->rt_peer_genid != rt_peer_genid()) {'], ['+\tif (rt->rt_genid != rt_peer_genid()) {']),
    ),
    '12-check-open-coded-bind': (
        'ipv4_dst_check() attaches the peer with a plain store of inet_getpeer_v4() instead of calling rt_bind_peer() (no cmpxchg)',
        mutate(2, ['+\t\t\trt_bind_peer(rt, 0);'], ['+\t\t\trt->peer = inet_getpeer_v4(rt->rt_dst, 0);']),
    ),
}

EQUIVALENT = {
    'stamp-with-compared-value': (
        'ipv4_dst_check() reads the genid once and stamps the value it compared (not a re-read). NOT a bug: it closes the lost-update window of mechanism-history.md section 3.2; every state it reaches is one the seed may reach',
        mutate(
            2,
            ['+\tif (rt->rt_peer_genid != rt_peer_genid()) {', '+\t\tif (!rt->peer)', '+\t\t\trt_bind_peer(rt, 0);', '+', '+\t\trt->rt_peer_genid = rt_peer_genid();'],
            ['+\tgenid = rt_peer_genid();', '+\tif (rt->rt_peer_genid != genid) {', '+\t\tif (!rt->peer)', '+\t\t\trt_bind_peer(rt, 0);', '+', '+\t\trt->rt_peer_genid = genid;'],
        ),
    ),
    'bind-when-peer-set': (
        'ipv4_dst_check() calls rt_bind_peer() even when the route has a peer. NOT a bug in state: the lookup finds the same peer, the cmpxchg loses and the reference is put back (extra work only)',
        mutate(2, ['+\t\tif (!rt->peer)', '+\t\t\trt_bind_peer(rt, 0);'], ['+\t\trt_bind_peer(rt, 0);']),
    ),
}

# The compared-value variant needs its local.
_b = EQUIVALENT['stamp-with-compared-value'][1][2]
_i = _b.index('+\tstruct rtable *rt = (struct rtable *) dst;')
_b.insert(_i + 1, '+\tu32 genid;')

for name, (what, bodies) in MUTANTS.items():
    open(os.path.join(HERE, name + '.patch'), 'w').write(render(bodies, name, what))
for name, (what, bodies) in EQUIVALENT.items():
    open(os.path.join(HERE, 'equivalent', name + '.patch'), 'w').write(render(bodies, name, what))
print('wrote %d mutants and %d equivalent variants' % (len(MUTANTS), len(EQUIVALENT)))
