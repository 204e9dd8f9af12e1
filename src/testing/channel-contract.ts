import { describe, expect, it } from 'vitest';
import type { ChannelAdapter, RawRequest } from '../core/channel.js';
import { identityKinds } from '../model/identity.js';
import { type InboundEvent, InboundMessage, StatusUpdate } from '../model/inbound.js';
import { Part } from '../model/parts.js';
import { channelKinds } from '../model/records.js';

const partTypes: string[] = Part.options.map((option) => option.shape.type.value);

/** Sample requests a channel adapter is tested with. */
export interface ChannelContractCases {
  /** Valid, correctly signed requests; each must verify and parse to at least one event. */
  signed: RawRequest[];
  /** Requests without a valid signature; each must fail `verify` with `SignatureError`. */
  unsigned?: RawRequest[];
  /** Correctly signed but malformed requests; `parse` must throw `ValidationError` for each. */
  malformed?: RawRequest[];
}

/** Options of {@link describeChannelContract}. */
export interface ChannelContractOptions {
  /** Tests this adapter cannot pass, skipped by name with the reason shown in the report. */
  skip?: { reason: string; tests: string[] }[];
}

/** The names of the contract's tests, as `skip` refers to them. */
export const channelContractTests = [
  'declares id, kind and capabilities',
  'verifies and parses every signed case',
  'refuses a signed body with one byte changed',
  'refuses every unsigned case with SignatureError',
  'throws ValidationError for every malformed case',
  'parses deterministically',
] as const;

type TestName = (typeof channelContractTests)[number];

/** Changes one byte in the middle of the body (a different printable ASCII character). */
export function tamper(raw: RawRequest): RawRequest {
  const body = raw.body === '' ? ' ' : raw.body;
  const at = Math.floor(body.length / 2);
  const replacement = body[at] === 'x' ? 'y' : 'x';
  return { ...raw, headers: { ...raw.headers }, body: body.slice(0, at) + replacement + body.slice(at + 1) };
}

async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectNamedError(error: unknown, name: string, label: string): void {
  const got = error instanceof Error ? `${error.name}: ${error.message}` : 'nothing thrown';
  expect(error instanceof Error && error.name === name, `${label}: expected ${name}, got ${got}`).toBe(true);
}

function checkEvent(event: InboundEvent, label: string): void {
  if (event.type === 'message') {
    const result = InboundMessage.safeParse(event.message);
    expect(result.success, `${label}: ${result.error?.message ?? ''}`).toBe(true);
  } else if (event.type === 'status') {
    const result = StatusUpdate.safeParse(event.status);
    expect(result.success, `${label}: ${result.error?.message ?? ''}`).toBe(true);
  } else if (event.type === 'skipped') {
    expect(typeof event.reason, label).toBe('string');
    if (event.field !== undefined) expect(typeof event.field, label).toBe('string');
  } else {
    expect(event.type, label).toBe('echo');
    expect(typeof event.externalId, label).toBe('string');
  }
}

function checkShape(adapter: ChannelAdapter): void {
  expect(typeof adapter.id).toBe('string');
  expect(adapter.id.length).toBeGreaterThan(0);
  expect(channelKinds).toContain(adapter.kind);
  expect(Array.isArray(adapter.capabilities.parts)).toBe(true);
  for (const part of adapter.capabilities.parts) expect(partTypes).toContain(part);
  for (const kind of adapter.capabilities.recipientKinds) expect(identityKinds).toContain(kind);
  for (const method of ['verify', 'parse', 'send'] as const) expect(typeof adapter[method]).toBe('function');
  for (const method of ['handshake', 'acknowledge'] as const) {
    if (adapter[method] !== undefined) expect(typeof adapter[method]).toBe('function');
  }
}

function skipsOf(options: ChannelContractOptions): Map<string, string> {
  const skips = new Map<string, string>();
  for (const { reason, tests } of options.skip ?? []) {
    for (const test of tests) {
      if (!(channelContractTests as readonly string[]).includes(test)) {
        throw new Error(`describeChannelContract: unknown test to skip: ${JSON.stringify(test)}`);
      }
      skips.set(test, reason);
    }
  }
  return skips;
}

/**
 * Declares the contract suite every channel adapter must pass (ours and third parties'), for
 * vitest. It checks the adapter's id, kind and capabilities; that every signed case verifies and
 * parses to events whose messages pass the `InboundMessage` schema; that one changed byte in a
 * signed body fails `verify` with `SignatureError`; that unsigned cases fail with `SignatureError`;
 * that malformed cases throw `ValidationError` (never a `TypeError`); and that `parse` is
 * deterministic.
 *
 * A test the adapter cannot pass is skipped by name with a reason (`options.skip`), e.g. when the
 * provider's signature does not cover the body. An unknown name throws, so a typo never skips silently.
 *
 * @example
 * ```ts
 * describeChannelContract('acme', () => acme({ secret }), { signed: [await signedSample()] });
 * ```
 */
export function describeChannelContract(
  name: string,
  factory: () => ChannelAdapter | Promise<ChannelAdapter>,
  cases: ChannelContractCases,
  options: ChannelContractOptions = {},
): void {
  const skips = skipsOf(options);
  const test = (title: TestName, body: () => Promise<void>) => {
    const reason = skips.get(title);
    if (reason === undefined) it(title, body);
    else it.skip(`${title} (skipped: ${reason})`, body);
  };

  describe(`channel contract: ${name}`, () => {
    test('declares id, kind and capabilities', async () => {
      checkShape(await factory());
    });

    test('verifies and parses every signed case', async () => {
      expect(cases.signed.length, 'give at least one signed case').toBeGreaterThan(0);
      const adapter = await factory();
      for (const [i, raw] of cases.signed.entries()) {
        await adapter.verify(raw);
        const events = await adapter.parse(raw);
        expect(events.length, `signed[${i}] parsed to no event`).toBeGreaterThan(0);
        for (const [j, event] of events.entries()) checkEvent(event, `signed[${i}] event ${j}`);
      }
    });

    test('refuses a signed body with one byte changed', async () => {
      const adapter = await factory();
      for (const [i, raw] of cases.signed.entries()) {
        expectNamedError(
          await errorOf(() => adapter.verify(tamper(raw))),
          'SignatureError',
          `tampered signed[${i}]`,
        );
      }
    });

    test('refuses every unsigned case with SignatureError', async () => {
      const adapter = await factory();
      for (const [i, raw] of (cases.unsigned ?? []).entries()) {
        expectNamedError(await errorOf(() => adapter.verify(raw)), 'SignatureError', `unsigned[${i}]`);
      }
    });

    test('throws ValidationError for every malformed case', async () => {
      const adapter = await factory();
      for (const [i, raw] of (cases.malformed ?? []).entries()) {
        await adapter.verify(raw);
        expectNamedError(await errorOf(() => adapter.parse(raw)), 'ValidationError', `malformed[${i}]`);
      }
    });

    test('parses deterministically', async () => {
      const adapter = await factory();
      for (const raw of cases.signed) {
        const first = await adapter.parse(structuredClone(raw));
        const second = await adapter.parse(structuredClone(raw));
        expect(second).toEqual(first);
      }
    });
  });
}
