import type { Desk } from '../../core/types.js';
import { HttpRefusal } from '../../core/webhook.js';
import { isThreadlineError } from '../../model/errors.js';
import { type IdentityInput, identityKey, normalizeIdentityValue } from '../../model/identity.js';
import type { Customer } from '../../model/records.js';
import { type IdentityClaims, verifyIdentityToken } from '../token.js';
import type { WebChatSettings } from './options.js';

/** Who is asking: the visitor id and, when a valid token came with the request, its claims. */
export interface Visitor {
  id: string;
  token?: string;
  claims?: IdentityClaims;
}

/** Tokens remembered as applied before the memory is reset. */
const APPLIED_LIMIT = 10_000;

/** The verified identities a token proves. */
export function claimedIdentities(claims: IdentityClaims): IdentityInput[] {
  const identities: IdentityInput[] = [{ kind: 'external', value: claims.sub, verified: true }];
  if (claims.email !== undefined) identities.push({ kind: 'email', value: claims.email, verified: true });
  return identities;
}

/** The verified `external` identities (host user ids, proven by identity tokens) the customer holds. */
function usersOf(customer: Customer) {
  return customer.identities.filter((identity) => identity.kind === 'external' && identity.verified);
}

/**
 * Whether the customer is a host user's: it holds a verified `external` identity (an identity
 * token signed it in). Its history is then that user's on every channel, so only a request with
 * that user's token may read it.
 */
export function isSignedIn(customer: Customer): boolean {
  return usersOf(customer).length > 0;
}

/** Whether the customer holds verified `external` identities (host user ids), none of them `sub`. */
function signedInAsAnother(customer: Customer, sub: string): boolean {
  const users = usersOf(customer);
  const value = normalizeIdentityValue('external', sub);
  return users.length > 0 && !users.some((identity) => identity.value === value);
}

/** The 401 of a request without a token from a visitor that signed in. */
export function tokenRequired(): HttpRefusal {
  return new HttpRefusal(
    401,
    'UNAUTHORIZED',
    'This visitor is signed in: send its identity token (a logged-out browser starts a new visitor id).',
  );
}

/**
 * Resolves visitors to customers and applies identity tokens: verified `external` and `email`
 * identities are attached with `desk.identify(..., { reason: 'login' })`, so the desk's merge
 * policy joins the visitor to the customer's other channels. A token is applied once per visitor.
 */
export class VisitorIdentities {
  private readonly applied = new Map<string, Promise<void>>();
  constructor(
    private readonly desk: Desk,
    private readonly settings: WebChatSettings,
  ) {}

  /** Verifies the token (401 on any failure), when one was sent. */
  async verify(id: string, token: string | undefined): Promise<Visitor> {
    if (token === undefined) return { id };
    const secret = this.settings.identitySecret;
    if (secret === undefined) {
      throw new HttpRefusal(
        401,
        'UNAUTHORIZED',
        'This server accepts no identity tokens (no identitySecret).',
      );
    }
    try {
      return {
        id,
        token,
        claims: await verifyIdentityToken(token, secret, {
          now: this.settings.clock(),
          brand: this.settings.brand,
        }),
      };
    } catch (error) {
      if (!isThreadlineError(error)) throw error;
      throw new HttpRefusal(401, 'UNAUTHORIZED', error.message);
    }
  }

  /**
   * Refuses (401) a request without a token from a visitor whose customer is signed in.
   *
   * Threat: the visitor id is a bearer credential the browser keeps in localStorage. Once a token
   * has signed it in, it reads the user's whole timeline (email, SMS, WhatsApp...). Without this
   * check the id alone kept that power after the token expired or the user logged out: the next
   * person on a shared computer, or anyone who learned the id, read the user's history.
   */
  async authorize(visitor: Visitor): Promise<void> {
    if (visitor.claims !== undefined) return;
    const customer = await this.customerOf(visitor.id);
    if (customer && isSignedIn(customer)) throw tokenRequired();
  }

  /** The live customer behind the visitor's web-chat identity, if the visitor has one yet. */
  customerOf(visitorId: string): Promise<Customer | undefined> {
    return this.findBy({ kind: 'webchat', value: visitorId });
  }

  private async findBy(identity: IdentityInput): Promise<Customer | undefined> {
    const value = normalizeIdentityValue(identity.kind, identity.value);
    return this.desk.store.findCustomerByIdentity(this.settings.brand, identityKey(identity.kind, value));
  }

  /** The customer holding `identity` verified; one that only claimed it (a typed-in email) is no login target. */
  private async findVerified(identity: IdentityInput): Promise<Customer | undefined> {
    const holder = await this.findBy(identity);
    const value = normalizeIdentityValue(identity.kind, identity.value);
    const held = holder?.identities.find((i) => i.kind === identity.kind && i.value === value);
    return held?.verified ? holder : undefined;
  }

  /** Whether the visitor's token has been applied (or there is none). */
  isApplied(visitor: Visitor): boolean {
    return visitor.claims === undefined || this.applied.has(this.keyOf(visitor));
  }

  /** Marks a token applied by `receive` itself (the visitor's first message carried its identities). */
  markApplied(visitor: Visitor): void {
    if (visitor.claims !== undefined) this.remember(this.keyOf(visitor), Promise.resolve());
  }

  /**
   * Applies the visitor's token once. When the visitor has no customer yet and no customer holds
   * the token's identities either, nothing can be attached: the first message carries them.
   */
  async apply(visitor: Visitor): Promise<void> {
    if (visitor.claims === undefined) return;
    const key = this.keyOf(visitor);
    const pending = this.applied.get(key);
    if (pending) return pending;
    const run = this.attach(visitor.id, visitor.claims).then((done) => {
      if (!done) this.applied.delete(key);
    });
    this.remember(key, run);
    run.catch(() => this.applied.delete(key));
    return run;
  }

  private remember(key: string, run: Promise<void>): void {
    if (this.applied.size >= APPLIED_LIMIT) this.applied.clear();
    this.applied.set(key, run);
  }

  private keyOf(visitor: Visitor): string {
    return `${visitor.id}\n${visitor.token ?? ''}`;
  }

  /** Returns false when there was no customer to attach the identities to. */
  private async attach(visitorId: string, claims: IdentityClaims): Promise<boolean> {
    const identities = claimedIdentities(claims);
    let customer = await this.customerOf(visitorId);
    if (customer && signedInAsAnother(customer, claims.sub)) {
      // Attaching would merge two users' customers: the browser must start a new visitor.
      throw new HttpRefusal(
        409,
        'CONFLICT',
        'This visitor is signed in as another user; start a new visitor id (forget it on logout).',
      );
    }
    if (!customer) {
      const holder =
        (await this.findVerified(identities[0]!)) ??
        (identities[1] && (await this.findVerified(identities[1])));
      if (!holder) return false;
      const visitorIdentity = { kind: 'webchat' as const, value: visitorId };
      customer = (await this.desk.identify(holder.id, visitorIdentity, { source: this.settings.channel }))
        .customer;
    }
    for (const identity of identities) {
      const options = { reason: 'login' as const, source: this.settings.channel };
      customer = (await this.desk.identify(customer.id, identity, options)).customer;
    }
    if (claims.name !== undefined && !customer.displayName) {
      await this.desk.customers.update(customer.id, { displayName: claims.name });
    }
    return true;
  }
}
