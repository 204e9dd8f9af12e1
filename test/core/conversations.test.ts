import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/model/errors.js';
import { sms, testDesk } from './helpers.js';

describe('conversations.update', () => {
  it('patches fields, emits what changed and bumps the version', async () => {
    const { desk, events } = testDesk();
    const { conversation } = await desk.receive(sms('+14155550100'));
    const updated = await desk.conversations.update(conversation.id, {
      status: 'pending',
      assigneeId: 'agent-7',
      tags: ['billing', 'billing', 'vip'],
      priority: 'high',
      subject: 'Refund',
    });
    expect(updated).toMatchObject({
      status: 'pending',
      assigneeId: 'agent-7',
      tags: ['billing', 'vip'],
      priority: 'high',
      subject: 'Refund',
      version: conversation.version + 1,
    });
    const event = events.at(-1);
    expect(event?.type).toBe('conversation.updated');
    if (event?.type !== 'conversation.updated') return;
    expect(Object.keys(event.changes).sort()).toEqual([
      'assigneeId',
      'priority',
      'status',
      'subject',
      'tags',
    ]);
    expect(event.changes.status).toEqual({ from: 'open', to: 'pending' });
    const cleared = await desk.conversations.update(conversation.id, { assigneeId: null });
    expect(cleared.assigneeId).toBeUndefined();
    const resolved = await desk.conversations.update(conversation.id, { status: 'resolved' });
    expect(resolved.resolvedAt).toBeDefined();
  });

  it('a no-op patch writes nothing', async () => {
    const { desk, events } = testDesk();
    const { conversation } = await desk.receive(sms('+14155550100'));
    const count = events.length;
    expect(await desk.conversations.update(conversation.id, { status: 'open' })).toEqual(conversation);
    expect(events).toHaveLength(count);
  });

  it('an explicit stale version is a ConflictError; concurrent patches without one all land', async () => {
    const { desk } = testDesk();
    const { conversation } = await desk.receive(sms('+14155550100'));
    await desk.conversations.update(
      conversation.id,
      { priority: 'high' },
      { expectedVersion: conversation.version },
    );
    await expect(
      desk.conversations.update(
        conversation.id,
        { priority: 'low' },
        { expectedVersion: conversation.version },
      ),
    ).rejects.toMatchObject({ name: 'ConflictError', retryable: false });
    await Promise.all([
      desk.conversations.update(conversation.id, { assigneeId: 'a1' }),
      desk.conversations.update(conversation.id, { teamId: 't1' }),
      desk.conversations.update(conversation.id, { tags: ['x'] }),
    ]);
    expect(await desk.conversations.get(conversation.id)).toMatchObject({
      assigneeId: 'a1',
      teamId: 't1',
      tags: ['x'],
    });
  });

  it('rejects bad patches and unknown ids with typed errors', async () => {
    const { desk } = testDesk();
    const { conversation } = await desk.receive(sms('+14155550100'));
    const error = await desk.conversations
      .update(conversation.id, { status: 'archived' as never })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('status');
    await expect(
      desk.conversations.update(conversation.id, { colour: 'red' } as never),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(desk.conversations.update('nope', { status: 'open' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists conversations newest first, paged', async () => {
    const { desk } = testDesk({ continuity: { mode: 'multichannel' } });
    for (const channel of ['sms', 'whatsapp', 'email', 'telegram']) {
      const from =
        channel === 'email'
          ? { kind: 'email' as const, value: 'a@example.com' }
          : channel === 'telegram'
            ? { kind: 'telegram' as const, value: '42' }
            : { kind: 'phone' as const, value: '+14155550100' };
      await desk.receive({ channel, from, text: 'x' });
    }
    const first = await desk.conversations.list({ limit: 3 });
    expect(first.items.map((c) => c.channels[0])).toEqual(['telegram', 'email', 'whatsapp']);
    const second = await first.next();
    expect(second.items.map((c) => c.channels[0])).toEqual(['sms']);
    expect(second.hasNext).toBe(false);
  });
});
