import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../../src/core/store.js';
import { type FileStoreHandle, type FileStoreOptions, fileStore } from '../../../src/stores/file/index.js';

/** Every error any test store logged (background compaction failures): a test file may assert it stayed empty. */
export const loggedErrors: string[] = [];

/** A logger that records what the store warned about. */
export function recordingLogger() {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    warn: (message: string) => void warnings.push(message),
    error: (message: string, ...args: unknown[]) => {
      errors.push(message);
      loggedErrors.push(`${message} ${args.map(String).join(' ')}`);
    },
  };
}

/** Temp store directories, removed by `cleanup()`. */
export function tempDirs() {
  const dirs: string[] = [];
  return {
    async make(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), 'threadline-file-'));
      dirs.push(dir);
      return dir;
    },
    async cleanup(): Promise<void> {
      for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Opens a file store in `dir` with a recording logger (fsync on unless told). */
export function openStore(dir: string, options: Partial<FileStoreOptions> = {}): Promise<FileStoreHandle> {
  return fileStore({ dir, logger: recordingLogger(), ...options });
}

/** Everything a store holds that the restart tests compare, read through the Store API. */
export async function dump(
  store: Store,
  ids: { customers: string[]; conversations: string[]; merges: string[] },
) {
  const customers = await Promise.all(ids.customers.map((id) => store.getCustomer(id)));
  const conversations = await store.listConversations({ limit: 1_000_000 });
  const messages = await Promise.all(
    ids.conversations.map((id) => store.listMessages({ conversationId: id }, { limit: 1_000_000 })),
  );
  const byCustomer = await Promise.all(
    ids.customers.map((id) => store.listMessages({ customerId: id }, { limit: 1_000_000 })),
  );
  const merges = await Promise.all(ids.merges.map((id) => store.getMerge(id)));
  const outbox = await store.listOutbox();
  const events = await store.readEvents({ limit: 1_000_000 });
  return { customers, conversations, messages, byCustomer, merges, outbox, events };
}
