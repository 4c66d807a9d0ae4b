/** Bump when KernelTypes' shape or the meaning of a fact changes: cached types.json is then recomputed. */
export const TYPES_SCHEMA = 3;
