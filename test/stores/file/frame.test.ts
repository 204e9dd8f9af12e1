import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeGroup, encodeBatch } from '../../../src/stores/file/codec.js';
import { crc32, encodeFrame, hasValidFrameAfter, scanFrames } from '../../../src/stores/file/frame.js';
import { makeConversation, makeCustomer, makeEvent, makeMessage } from '../../../src/testing/records.js';
import { tempDirs } from './helpers.js';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

async function scanBytes(bytes: Buffer) {
  const path = join(await dirs.make(), 'frames');
  await writeFile(path, bytes);
  const payloads: string[] = [];
  const result = await scanFrames(path, (payload) => void payloads.push(payload.toString()));
  return {
    payloads,
    result,
    later: result.damage ? await hasValidFrameAfter(path, result.damage.offset) : false,
  };
}

const payloadsArb = fc.array(fc.string({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 8 });

describe('file store: record framing', () => {
  it('crc32 matches the IEEE check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('a file cut anywhere yields exactly the whole records before the cut', async () => {
    await fc.assert(
      fc.asyncProperty(payloadsArb, fc.nat(), async (payloads, cutSeed) => {
        const frames = payloads.map((p) => encodeFrame(Buffer.from(p)));
        const bytes = Buffer.concat(frames);
        const cut = cutSeed % (bytes.length + 1);
        const { payloads: read, result } = await scanBytes(bytes.subarray(0, cut));
        let whole = 0;
        for (let end = 0, i = 0; i < frames.length && end + frames[i]!.length <= cut; i++) {
          end += frames[i]!.length;
          whole = i + 1;
        }
        expect(read).toEqual(payloads.slice(0, whole));
        expect(result.damage === undefined).toBe(result.end === cut);
      }),
      { numRuns: 60 },
    );
  });

  it('a single flipped bit is detected: records before it are read, and later valid records are found', async () => {
    await fc.assert(
      fc.asyncProperty(payloadsArb, fc.nat(), fc.integer({ min: 0, max: 7 }), async (payloads, at, bit) => {
        const frames = payloads.map((p) => encodeFrame(Buffer.from(p)));
        const bytes = Buffer.concat(frames);
        const flip = at % bytes.length;
        bytes[flip] = bytes[flip]! ^ (1 << bit);
        let hit = 0;
        for (let end = frames[0]!.length; end <= flip; end += frames[hit]!.length) hit++;
        const { payloads: read, result, later } = await scanBytes(bytes);
        expect(read).toEqual(payloads.slice(0, hit));
        expect(result.damage).toBeDefined();
        expect(later).toBe(hit < frames.length - 1);
      }),
      { numRuns: 60 },
    );
  });
});

describe('file store: batch encoding', () => {
  it('an event carrying a record of its batch is stored as a reference and restored to that record', () => {
    const customer = makeCustomer();
    const conversation = makeConversation(customer.id);
    const message = makeMessage(conversation, 1);
    const copy = makeEvent({ ...message });
    const batch = {
      messages: [{ record: message, expectedVersion: null }],
      events: [makeEvent(message), copy],
    };
    const payload = encodeBatch(batch);
    expect(payload.toString()).toContain('{"$put":"messages.0"}');
    const [decoded] = decodeGroup(Buffer.from(`[${payload}]`)) as [typeof batch];
    expect(decoded).toEqual(batch);
    expect((decoded.events![0] as { message: unknown }).message).toBe(decoded.messages![0]!.record);
    expect((decoded.events![1] as { message: unknown }).message).not.toBe(decoded.messages![0]!.record);
  });

  it('a dangling reference is an error, not a silent hole', () => {
    expect(() =>
      decodeGroup(Buffer.from('[{"events":[{"type":"message.received","message":{"$put":"messages.3"}}]}]')),
    ).toThrow('dangling record reference');
  });
});
