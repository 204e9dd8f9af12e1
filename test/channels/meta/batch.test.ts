import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/model/errors.js';
import type { InboundEvent } from '../../../src/model/inbound.js';
import {
  channelsWith,
  closeAll,
  contact,
  eventCount,
  fbText,
  IG_ACCOUNT,
  IGSID,
  type Json,
  type Logs,
  MAYA,
  makeDesk,
  messagingDelivery,
  onCleanup,
  PAGE_ID,
  PSID,
  SAM,
  SENT_S,
  start,
  storedIds,
  WABA_ID,
  waDelivery,
  waStatus,
  waText,
} from './batch-kit.js';
import { startGraph } from './graph-server.js';

afterEach(closeAll);

// Meta batches (see batch-kit.ts): an unreadable item is skipped and logged, every valid sibling stored.

describe('meta batches: one unreadable item is skipped, its siblings are stored', () => {
  it('WhatsApp: 3 valid messages and 1 malformed answer 200, store the 3 and log one warning naming the field', async () => {
    const { desk, logs, post } = await start();
    const delivery = waDelivery({
      contacts: [contact(MAYA, 'Maya Okafor')],
      messages: [
        waText('wamid.B1', 'Hi, my order #4411 has not arrived'),
        waText('wamid.B2', 'It was due on Monday'),
        waText('wamid.BAD', 4411),
        waText('wamid.B3', 'Order number 4411'),
      ],
    });

    expect(await post('whatsapp', delivery)).toEqual({ status: 200, error: undefined });

    expect(await storedIds(desk)).toEqual(['wamid.B1', 'wamid.B2', 'wamid.B3']);
    expect(await desk.store.getMessageByExternalId('whatsapp', 'wamid.BAD')).toBeUndefined();
    expect(logs.warn).toHaveLength(1);
    expect(logs.warn[0]).toContain('"whatsapp"');
    expect(logs.warn[0]).toContain('entry[0].changes[0].value.messages[2].text.body');
    expect(logs.warn[0]).toContain('expected string, received number');
    expect(logs.error).toEqual([]);
    const customer = await desk.customers.get(
      (await desk.store.getMessageByExternalId('whatsapp', 'wamid.B1'))!.customerId,
    );
    expect(customer.displayName).toBe('Maya Okafor');
  });

  it("a provider's retry of the same mixed batch stores nothing new", async () => {
    const { desk, logs, post } = await start();
    const delivery = waDelivery({
      contacts: [contact(MAYA, 'Maya Okafor')],
      messages: [waText('wamid.R1', 'first'), { ...waText('wamid.RBAD', 'x'), from: 'not-a-number' }],
    });
    expect((await post('whatsapp', delivery)).status).toBe(200);
    const before = await eventCount(desk);

    expect((await post('whatsapp', delivery)).status).toBe(200);

    expect(await eventCount(desk)).toBe(before);
    expect(await storedIds(desk)).toEqual(['wamid.R1']);
    expect(logs.warn).toHaveLength(2); // the skipped item, once per delivery attempt
    expect(logs.warn[1]).toContain('entry[0].changes[0].value.messages[1].from');
  });

  it('a batch of only malformed items answers 400 naming the first bad field, and stores nothing', async () => {
    const { desk, logs, post } = await start();
    const delivery = waDelivery({
      messages: [
        { ...waText('wamid.X1', 'a'), timestamp: '-1' },
        { ...waText('wamid.X2', 'b'), type: 'image' },
      ],
    });

    const answer = await post('whatsapp', delivery);

    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({
      code: 'VALIDATION',
      field: 'entry[0].changes[0].value.messages[0].timestamp',
    });
    expect(await eventCount(desk)).toBe(0);
    expect(logs.warn).toEqual([]);
  });

  it('WhatsApp statuses: a malformed status is skipped, the others move their messages', async () => {
    const graph = await startGraph('EAAG-batch', 'whatsapp');
    onCleanup(graph.close);
    const { desk, logs, post } = await start(graph.url);
    await post('whatsapp', waDelivery({ messages: [waText('wamid.IN1', 'Hello?')] }));
    const conversation = (await desk.conversations.list()).items[0]!;
    const first = await desk.reply(conversation.id, { text: 'Hi Maya' });
    const second = await desk.reply(conversation.id, { text: 'Looking into it' });
    await desk.outbox.flush();
    const [sent1, sent2] = [await desk.store.getMessage(first.id), await desk.store.getMessage(second.id)];
    expect([sent1?.externalId, sent2?.externalId]).toEqual(['wamid.SENT1', 'wamid.SENT2']);

    const answer = await post(
      'whatsapp',
      waDelivery({
        statuses: [
          waStatus('wamid.SENT1', 'read'),
          { ...waStatus('wamid.SENT9', 'delivered'), id: 42 },
          waStatus('wamid.SENT2', 'delivered'),
        ],
      }),
    );

    expect(answer.status).toBe(200);
    expect((await desk.store.getMessage(first.id))?.status).toBe('read');
    expect((await desk.store.getMessage(second.id))?.status).toBe('delivered');
    expect(logs.warn).toHaveLength(1);
    expect(logs.warn[0]).toContain('entry[0].changes[0].value.statuses[1].id');
  });

  it('a malformed `statuses` list or entry does not cost the messages beside it', async () => {
    const { desk, logs, post } = await start();
    const [first] = waDelivery({ messages: [waText('wamid.S1', 'kept')], statuses: { id: 'x' } })
      .entry as Json[];
    const [third] = waDelivery({ messages: [waText('wamid.S2', 'also kept')] }).entry as Json[];
    const delivery = {
      object: 'whatsapp_business_account',
      entry: [first, { id: WABA_ID, changes: 'not a list' }, third],
    };

    expect((await post('whatsapp', delivery)).status).toBe(200);

    expect(await storedIds(desk)).toEqual(['wamid.S1', 'wamid.S2']);
    expect(logs.warn.map((line) => /at (\S+):/.exec(line)?.[1])).toEqual([
      'entry[0].changes[0].value.statuses',
      'entry[1].changes',
    ]);
  });

  it('a malformed contact costs only its own profile name, never lends another sender its name', async () => {
    const { desk, logs, post } = await start();
    const delivery = waDelivery({
      contacts: [contact(MAYA, { first: 'Maya' }), contact(SAM, 'Sam Lee')],
      messages: [waText('wamid.C1', 'from Maya'), waText('wamid.C2', 'from Sam', SAM)],
    });

    expect((await post('whatsapp', delivery)).status).toBe(200);

    const nameOf = async (id: string) => {
      const message = await desk.store.getMessageByExternalId('whatsapp', id);
      return (await desk.customers.get(message!.customerId)).displayName;
    };
    expect(await nameOf('wamid.C1')).toBeUndefined();
    expect(await nameOf('wamid.C2')).toBe('Sam Lee');
    expect(logs.warn).toHaveLength(1);
    expect(logs.warn[0]).toContain('entry[0].changes[0].value.contacts[0].profile.name');
    expect(logs.warn[0]).toContain('its profile name is not used');
  });

  it('a sender that is no possible phone number is skipped alone (the desk would refuse the delivery)', async () => {
    const { desk, post } = await start();
    const delivery = waDelivery({
      messages: [waText('wamid.P1', 'ok'), waText('wamid.P2', 'bad number', '1')],
    });
    expect((await post('whatsapp', delivery)).status).toBe(200);
    expect(await storedIds(desk)).toEqual(['wamid.P1']);
  });

  it('Messenger: a messaging array with one bad event stores the other events', async () => {
    const { desk, logs, post } = await start();
    const postback = {
      sender: { id: PSID },
      recipient: { id: PAGE_ID },
      timestamp: SENT_S * 1000 + 900,
      postback: { mid: 'm_PB1', title: 'Talk to a person', payload: 'HANDOFF' },
    };
    const { sender: _, ...senderless } = fbText('m_BAD', 'who am I?');
    const delivery = messagingDelivery(
      'page',
      [fbText('m_1', 'Do you ship to Canada?'), senderless, postback],
      [fbText('m_2', 'And to Mexico?')],
    );

    expect((await post('messenger', delivery)).status).toBe(200);

    expect(await storedIds(desk)).toEqual(['m_1', 'm_PB1', 'm_2']);
    expect(logs.warn).toHaveLength(1);
    expect(logs.warn[0]).toContain('"messenger"');
    expect(logs.warn[0]).toContain('entry[0].messaging[1].sender');
  });

  it('Instagram: a messaging array with one bad event stores the other events', async () => {
    const { desk, logs, post } = await start();
    const image = {
      sender: { id: IGSID },
      recipient: { id: IG_ACCOUNT },
      timestamp: SENT_S * 1000 + 200,
      message: {
        mid: 'ig_IMG',
        attachments: [
          { type: 'image', payload: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1' } },
        ],
      },
    };
    const delivery = messagingDelivery('instagram', [
      fbText('ig_1', 'Is the blue one back in stock?', IGSID),
      { ...fbText('ig_BAD', 'x', IGSID), timestamp: 'yesterday' },
      image,
    ]);

    expect((await post('instagram', delivery)).status).toBe(200);

    expect(await storedIds(desk)).toEqual(['ig_1', 'ig_IMG']);
    expect(logs.warn).toHaveLength(1);
    expect(logs.warn[0]).toContain('entry[0].messaging[1].timestamp');
  });

  it('Messenger: a delivery whose every event is unreadable answers 400 naming the field', async () => {
    const { desk, post } = await start();
    const answer = await post(
      'messenger',
      messagingDelivery('page', [{ ...fbText('m_X', 'x'), sender: {} }]),
    );
    expect(answer).toMatchObject({ status: 400, error: { field: 'entry[0].messaging[0].sender.id' } });
    expect(await eventCount(desk)).toBe(0);
  });

  it('a broken envelope is still refused whole', async () => {
    const { post } = await start();
    expect(await post('whatsapp', { object: 'whatsapp_business_account', entry: {} })).toMatchObject({
      status: 400,
      error: { field: 'entry' },
    });
    expect(await post('messenger', { entry: [] })).toMatchObject({ status: 400, error: { field: 'object' } });
  });
});

describe('meta batches: what parse reports', () => {
  const wa = channelsWith()[0]!;
  const parse = (payload: unknown) => {
    const body = JSON.stringify(payload);
    return wa.parse({
      method: 'POST',
      url: 'https://x/webhooks/whatsapp',
      headers: {},
      body,
    }) as InboundEvent[];
  };

  it('a skipped item names its reason and its field inside the payload', () => {
    const events = parse(
      waDelivery({ messages: [waText('wamid.1', 'ok'), waText('wamid.2', ['not text'])] }),
    );
    expect(events[1]).toEqual({
      type: 'skipped',
      reason: 'Invalid WhatsApp message: text.body: Invalid input: expected string, received array',
      field: 'entry[0].changes[0].value.messages[1].text.body',
    });
  });

  it('changes of other fields count as read: a bad sibling beside one is skipped, not refused', () => {
    const delivery = waDelivery({ messages: [null] });
    (delivery.entry as Json[])[0]!.changes = [
      { field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } },
      ...((delivery.entry as Json[])[0]!.changes as Json[]),
    ];
    expect(parse(delivery)).toEqual([
      expect.objectContaining({ type: 'skipped', field: 'entry[0].changes[1].value.messages[0]' }),
    ]);
  });
});

describe('desk.ingest with skipped items', () => {
  const message = (externalId: string, value = '+447700900123') => ({
    type: 'message' as const,
    message: {
      channel: 'whatsapp',
      from: { kind: 'whatsapp' as const, value, verified: true },
      text: 'hi',
      externalId,
    },
  });

  it('logs one warning naming the channel, reason and field, stores nothing for it and reports it', async () => {
    const logs: Logs = { warn: [], error: [] };
    const desk = makeDesk(channelsWith(), logs);
    const skipped = {
      type: 'skipped' as const,
      reason: 'Invalid WhatsApp message: id: required',
      field: 'entry[0].x',
    };

    const results = await desk.ingest('whatsapp', [message('wamid.I1'), skipped]);

    expect(results.map((r) => r.type)).toEqual(['message', 'skipped']);
    expect(results[1]).toEqual(skipped);
    expect(logs.warn).toEqual([
      'threadline: skipped an item of a "whatsapp" webhook at entry[0].x: Invalid WhatsApp message: id: required',
    ]);
    expect(await storedIds(desk)).toEqual(['wamid.I1']);
  });

  it("keeps validate-all-first for the adapter's own events: one the desk refuses stores nothing", async () => {
    const logs: Logs = { warn: [], error: [] };
    const desk = makeDesk(channelsWith(), logs);
    const skipped = { type: 'skipped' as const, reason: 'unreadable' };
    await expect(
      desk.ingest('whatsapp', [message('wamid.V1'), skipped, message('wamid.V2', 'not a phone')]),
    ).rejects.toBeInstanceOf(ValidationError);

    expect(await eventCount(desk)).toBe(0);
    expect(logs.warn).toEqual([]);
  });
});
