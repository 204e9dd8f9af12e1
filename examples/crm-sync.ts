/**
 * CRM sync: keep a CRM's contacts in step with Threadline's customers, driven by the desk's typed
 * events. A tiny CRM runs on 127.0.0.1 so the example is self-contained; point `CRM_URL` at your
 * own CRM's API and adapt the three requests.
 *
 * - `customer.created`    -> create a contact, remember its id in the customer's traits
 * - `customer.identified` -> add the new email or phone to the contact
 * - `customer.merged`     -> merge the two contacts in the CRM as well
 * - `conversation.updated` to `resolved` -> log an activity on the contact
 *
 * Run: npm run example:crm
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDesk, type Desk } from 'threadline';

/** A minimal CRM: contacts with emails and phones, merges and activities, in memory. */
function startCrm(): Promise<{ url: string; log: string[]; close(): void }> {
  const log: string[] = [];
  let next = 100;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const json = body ? JSON.parse(body) : {};
      log.push(`${req.method} ${req.url} ${body}`);
      const id = req.method === 'POST' && req.url === '/contacts' ? `crm-${next++}` : undefined;
      res
        .writeHead(id ? 201 : 200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id, ...json }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        log,
        close: () => server.close(),
      }),
    ),
  );
}

/** Mirrors desk events into the CRM. Requests run in order; `flush()` waits for the ones queued. */
function syncToCrm(desk: Desk, crmUrl: string) {
  let queue = Promise.resolve();
  const call = (method: string, path: string, body: unknown) =>
    fetch(`${crmUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((response) => {
      if (!response.ok) throw new Error(`CRM answered ${response.status} to ${method} ${path}`);
      return response.json() as Promise<{ id?: string }>;
    });
  const later = (work: () => Promise<unknown>) => {
    queue = queue.then(work).then(
      () => undefined,
      (error) => desk.logger.error('crm sync failed', error),
    );
  };
  const crmIdOf = async (customerId: string) =>
    (await desk.customers.resolve(customerId)).traits.crmId as string;

  desk.on('customer.created', ({ customer }) =>
    later(async () => {
      const contact = await call('POST', '/contacts', {
        name: customer.displayName ?? null,
        identities: customer.identities.map((i) => `${i.kind}:${i.value}`),
      });
      await desk.customers.update(customer.id, { traits: { crmId: contact.id ?? null } });
    }),
  );
  desk.on('customer.identified', ({ customer, identity }) =>
    later(async () =>
      call('PATCH', `/contacts/${await crmIdOf(customer.id)}`, { add: `${identity.kind}:${identity.value}` }),
    ),
  );
  desk.on('customer.merged', ({ keptId, mergedId }) =>
    later(async () => {
      const merged = (await desk.customers.get(mergedId)).traits.crmId;
      await call('POST', `/contacts/${await crmIdOf(keptId)}/merge`, { from: merged });
    }),
  );
  desk.on('conversation.updated', ({ conversation, changes }) => {
    if (changes.status?.to !== 'resolved') return;
    later(async () =>
      call('POST', `/contacts/${await crmIdOf(conversation.customerId)}/activities`, {
        type: 'support_conversation_resolved',
        channels: conversation.channels,
        messages: conversation.messageCount,
      }),
    );
  });
  return { flush: () => queue };
}

const crm = await startCrm();
const desk = createDesk();
const sync = syncToCrm(desk, process.env.CRM_URL ?? crm.url);

const sms = await desk.receive({
  channel: 'sms',
  from: { kind: 'phone', value: '+14155550100', verified: true },
  text: 'Where is my parcel?',
});
await sync.flush();
const mail = await desk.receive({
  channel: 'email',
  from: { kind: 'email', value: 'ann@example.com', verified: true },
  displayName: 'Ann Lee',
  text: 'Writing by email too',
});
await sync.flush();
// The shop's login proves Ann owns both: the desk merges the two customers, and the CRM follows.
await desk.identify(
  sms.customer.id,
  { kind: 'email', value: 'ann@example.com', verified: true },
  { reason: 'login' },
);
await desk.conversations.update(mail.conversation.id, { status: 'resolved' });
await sync.flush();

console.log('What the CRM received:');
for (const line of crm.log) console.log(`  ${line}`);
const customer = await desk.customers.resolve(sms.customer.id);
console.log(`Threadline customer ${customer.displayName} is CRM contact ${customer.traits.crmId}`);
crm.close();
await desk.close();
