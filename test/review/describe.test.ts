import { describe, expect, it } from 'vitest';
import { atomWords, describeCondition, splitTop, termWords } from '../../src/review/describe.ts';
import type { PathTerm } from '../../src/csrc/facts.ts';

const term = (text: string, negated = false, kind: PathTerm['kind'] = 'if'): PathTerm => ({ text, negated, kind, line: 1 });

describe('condition words', () => {
  it('splits at top-level operators only', () => {
    expect(splitTop('a && (b && c) && f(x && y)', '&&')).toEqual(['a', 'b && c', 'f(x && y)']);
    expect(splitTop('(a || b)', '||')).toEqual(['a || b']);
  });

  it('knows the mechanism\'s tests', () => {
    expect(atomWords('cmpxchg(&rt->peer, NULL, peer) != NULL', false)).toBe('the cmpxchg loses (rt->peer was already set)');
    expect(atomWords('cmpxchg(&rt->peer, NULL, peer) != NULL', true)).toBe('the cmpxchg wins');
    expect(atomWords('!rt->peer', false)).toBe('the route has no peer');
    expect(atomWords('rt->peer == NULL', false)).toBe('the route has no peer');
    expect(atomWords('peer', true)).toBe('no peer was found');
    expect(atomWords('rt->rt_peer_genid != rt_peer_genid()', false)).toBe("the route's genid is stale");
    expect(atomWords('rt_is_expired(rt)', true)).toBe('the route is not expired');
    expect(atomWords('x > 3', false)).toBe('`x > 3`');
    expect(atomWords('x > 3', true)).toBe('`!(x > 3)`');
  });

  it('a leading ! only negates its own operand', () => {
    expect(atomWords('!peer->pmtu_expires || mtu < peer->pmtu_learned', false)).toBe('`!peer->pmtu_expires` or `mtu < peer->pmtu_learned`');
  });

  it('an else branch of a && b reads as "b failed or a failed"', () => {
    expect(termWords(term('peer && cmpxchg(&rt->peer, NULL, peer) != NULL', true))).toBe('the cmpxchg wins or when no peer was found');
    expect(describeCondition([term('peer && cmpxchg(&rt->peer, NULL, peer) != NULL', true)])).toBe(
      'when the cmpxchg wins or when no peer was found (else branch of `peer && cmpxchg(&rt->peer, NULL, peer) != NULL`)',
    );
  });

  it('skips the terms the caller already said, and says "unconditionally" when none is left', () => {
    const terms = [term('rt->rt_peer_genid != rt_peer_genid()'), term('!rt->peer')];
    expect(describeCondition(terms, 1)).toBe('when the route has no peer');
    expect(describeCondition(terms, 2)).toBe('unconditionally');
    expect(describeCondition([])).toBe('unconditionally');
  });
});
