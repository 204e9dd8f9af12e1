/**
 * The identity-index key, kept free of zod and the phone library so browser drivers can import it
 * without pulling either into their bundle.
 */

/** Kinds whose values are phone numbers: they share one index key. */
export const PHONE_KINDS: ReadonlySet<string> = new Set(['phone', 'whatsapp']);

/**
 * The identity-index key of a normalized identity: `phone:+14155550100` for both `phone` and
 * `whatsapp`, `email:ann@example.com`, `telegram:12345`.
 */
export function identityKey(kind: string, value: string): string {
  return `${PHONE_KINDS.has(kind) ? 'phone' : kind}:${value}`;
}

/** True when two identities share an index key (see {@link identityKey}), compared without building it. */
export function sameIdentityKey(
  a: { kind: string; value: string },
  b: { kind: string; value: string },
): boolean {
  return a.value === b.value && (a.kind === b.kind || (PHONE_KINDS.has(a.kind) && PHONE_KINDS.has(b.kind)));
}
