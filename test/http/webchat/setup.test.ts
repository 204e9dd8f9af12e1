import { describe, expect, it } from 'vitest';
import { webchat } from '../../../src/channels/webchat/index.js';
import { createWebChatHandler } from '../../../src/http/index.js';
import { createDesk } from '../../../src/index.js';
import { memoryStore } from '../../../src/stores/memory/index.js';

/** A desk whose logger keeps its warnings. */
function deskWith(channels: ReturnType<typeof webchat>[]) {
  const warnings: string[] = [];
  const logger = { warn: (message: string) => void warnings.push(message), error: () => undefined };
  return { desk: createDesk({ store: memoryStore(), channels, logger }), warnings };
}

describe('createWebChatHandler: the desk it serves', () => {
  it('warns once, at construction, when the desk has no adapter for its channel (replies would be refused)', async () => {
    const { desk, warnings } = deskWith([]);
    const handler = createWebChatHandler(desk);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no channel with id "webchat".*replies to them are refused.*add webchat\(\)/);
    await handler.close();
    await desk.close();
  });

  it('says nothing when the adapter is there, under the id the handler uses', async () => {
    const { desk, warnings } = deskWith([webchat({ id: 'site-chat' })]);
    const handler = createWebChatHandler(desk, { channel: 'site-chat' });
    expect(warnings).toEqual([]);
    await handler.close();
    await desk.close();
  });
});
