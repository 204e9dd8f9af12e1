/**
 * Quick start: one customer, three channels, one conversation.
 *
 * Ann texts by SMS, follows up on WhatsApp from the same number, logs in to the shop (so the host
 * vouches for her email address) and then writes an email. Threadline keeps all of it in one
 * conversation, and the agent sees the whole story in one timeline.
 *
 * Run: npm run quickstart
 */
import { createDesk } from 'threadline';
import { memoryStore } from 'threadline/stores/memory';

// A fixed clock makes the printed output the same on every run; leave it out in real apps.
let now = Date.parse('2026-11-02T09:00:00Z');
const desk = createDesk({ store: memoryStore(), clock: () => now });
const minutesLater = (minutes: number) => {
  now += minutes * 60_000;
};

desk.on('conversation.channel_switched', (event) =>
  console.log(`  (continued on ${event.to}, was ${event.from})`),
);

const sms = await desk.receive({
  channel: 'sms',
  from: { kind: 'phone', value: '+1 (415) 555-0100', verified: true },
  text: 'Hi, my order #1042 has not arrived.',
  externalId: 'SM001',
});
minutesLater(12);
await desk.receive({
  channel: 'whatsapp',
  from: { kind: 'whatsapp', value: '+14155550100', verified: true },
  displayName: 'Ann Lee',
  text: 'Here is a photo of the tracking page.',
  externalId: 'wamid.002',
});
minutesLater(30);
// The host's login proves the email: a verified identity on the same customer.
await desk.identify(
  sms.customer.id,
  { kind: 'email', value: 'Ann.Lee@example.com', verified: true },
  { reason: 'login' },
);
minutesLater(5);
await desk.receive({
  channel: 'email',
  from: { kind: 'email', value: 'ann.lee@example.com', verified: true },
  subject: 'Order #1042',
  text: 'Sending the invoice by email as well.',
  externalId: '<ann-003@example.com>',
});
minutesLater(2);
await desk.reply(sms.conversation.id, {
  text: 'Thanks Ann, a replacement ships today.',
  author: { type: 'agent', name: 'Sam' },
});

const context = await desk.context({ customerId: sms.customer.id });
const conversation = context.conversations[0]!;
console.log(
  `Customer: ${context.customer.displayName} (${context.customer.identities.map((i) => `${i.kind} ${i.value}`).join(', ')})`,
);
console.log(
  `Conversations: ${context.counts.conversations}, channels: ${conversation.channels.join(' -> ')}`,
);
console.log('Timeline, oldest first:');
const timeline = [];
for await (const message of desk.timeline(sms.customer.id)) timeline.unshift(message);
for (const message of timeline) {
  const text = message.parts.map((part) => (part.type === 'text' ? part.text : `[${part.type}]`)).join(' ');
  const who = message.direction === 'inbound' ? 'Ann' : (message.author.name ?? message.author.type);
  console.log(`  ${message.createdAt.slice(11, 16)} [${message.channel.padEnd(8)}] ${who}: ${text}`);
}
await desk.close();
