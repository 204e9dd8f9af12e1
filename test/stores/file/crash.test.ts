import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/core/store.js';
import { identityKey } from '../../../src/model/identity.js';
import type { Message } from '../../../src/model/records.js';
import { openStore, tempDirs } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const dirs = tempDirs();
afterAll(() => dirs.cleanup());
const ROUNDS = 15;

/** Runs the child until it has acknowledged something, then SIGKILLs it after a random delay; returns the acknowledged ids. */
function runAndKill(dir: string, round: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'crash-child.ts'), dir, String(round)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    let armed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (!armed && out.includes('\n')) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 400);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited on its own (${code}): ${err}`));
      // Only complete lines were acknowledged: a line cut by the kill is not counted.
      else resolve(out.split('\n').slice(0, -1));
    });
  });
}

async function allMessages(store: Store): Promise<Message[]> {
  const conversations = await store.listConversations({ limit: 1_000_000 });
  const messages: Message[] = [];
  for (const conversation of conversations) {
    const list = await store.listMessages({ conversationId: conversation.id }, { limit: 1_000_000 });
    expect(list).toHaveLength(conversation.messageCount);
    messages.push(...list);
  }
  return messages;
}

/** Every message's conversation and customer exist, counts match, the identity index is consistent. */
async function checkConsistency(store: Store, messages: Message[]): Promise<void> {
  const customers = new Set<string>();
  for (const message of messages) {
    const conversation = await store.getConversation(message.conversationId);
    expect(conversation?.customerId).toBe(message.customerId);
    expect(await store.getMessage(message.id)).toEqual(message);
    expect(await store.getMessageByExternalId(message.channel, message.externalId!)).toEqual(message);
    customers.add(message.customerId);
  }
  let perCustomer = 0;
  for (const id of customers) {
    const customer = await store.getCustomer(id);
    expect(customer).toBeDefined();
    for (const identity of customer!.identities) {
      expect(
        (await store.findCustomerByIdentity(customer!.brandId, identityKey(identity.kind, identity.value)))
          ?.id,
      ).toBe(id);
    }
    perCustomer += await store.countMessages({ customerId: id });
  }
  expect(perCustomer).toBe(messages.length);
}

describe('file store: crash safety', () => {
  it(`a child killed with SIGKILL ${ROUNDS} times loses nothing it acknowledged`, {
    timeout: 90_000,
  }, async () => {
    const dir = await dirs.make();
    const acknowledged: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const acked = await runAndKill(dir, round);
      expect(acked.length).toBeGreaterThan(0);
      acknowledged.push(...acked);
      const store = await openStore(dir);
      const messages = await allMessages(store);
      const counts = new Map<string, number>();
      for (const message of messages)
        counts.set(message.externalId!, (counts.get(message.externalId!) ?? 0) + 1);
      const missing = acknowledged.filter((id) => counts.get(id) !== 1);
      expect(missing).toEqual([]);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      await checkConsistency(store, messages);
      await store.close();
    }
    expect(acknowledged.length).toBeGreaterThan(ROUNDS * 10);
  });
});
