/**
 * The vocabulary of the route <-> inetpeer generation-ID mechanism: names, not versions. The
 * fact extractor recognises the mechanism by these, and everything else from the code.
 */

/** Global genid: `__rt_peer_genid`, `__rt6_peer_genid`. */
export const GLOBAL_GENID = /^_*\w*peer_genid$/;
/** Route field: `rt_peer_genid`, `rt6i_peer_genid`. */
export const FIELD_GENID = /peer_genid$/;
/** Accessors known by name even when their definition is elsewhere. */
export const KNOWN_ACCESSOR = /^rt6?_peer_genid$/;
export const BIND_PEER = /^\w*_bind_peer$/;
export const CMPXCHG = /^(try_)?cmpxchg(_relaxed|_acquire|_release|64)?$/;
export const ATOMIC_WRITE = /^atomic(64)?_(inc|dec|add|sub|set|inc_return|add_return|dec_return|sub_return|xchg|cmpxchg|fetch_add|fetch_inc)$/;
export const ATOMIC_READ = /^atomic(64)?_read$/;
export const READ_ONCE = /^(READ_ONCE|ACCESS_ONCE)$/;
export const COMPARE_OPS = new Set(['==', '!=', '<', '>', '<=', '>=']);
export const DST_CHECK = /dst_check$|validate_peer$/;
export const EXPIRY = /\brt_is_expired\s*\(/;
/** A function whose text has none of these cannot hold a fact (besides dst_check's returns). */
export const RELEVANT = /peer_genid|_bind_peer|cmpxchg|fnhe|DST_OBSOLETE_|rt_genid/;
export const FNHE_WORDS = /\b(fib_nh_exception|fnhe_genid|update_or_create_fnhe|fnhe_hashfun|rt_genid_bump_ipv4)\b/g;
/** A route's obsolete state (`DST_OBSOLETE_FORCE_CHK`, ...). */
export const DST_OBSOLETE = /^DST_OBSOLETE_/;
