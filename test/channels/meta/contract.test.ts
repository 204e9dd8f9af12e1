import { instagram, messenger, whatsappCloud } from '../../../src/channels/meta/index.js';
import { describeChannelContract } from '../../../src/testing/channel-contract.js';
import { APP_SECRET, fixture, post, VERIFY_TOKEN } from './helpers.js';

const common = { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN };
const signed = (names: string[]) => names.map((name) => post(fixture(name), APP_SECRET));
/** A fixture with an unreadable item added to the list at `path`: parsed into its message and a `skipped` event. */
function withBadItem(name: string, path: (string | number)[]) {
  const body: unknown = JSON.parse(fixture(name));
  const list = path.reduce((node, key) => (node as Record<string | number, unknown>)[key], body);
  (list as unknown[]).push({ type: 'text' });
  return post(JSON.stringify(body), APP_SECRET);
}
const unsigned = (name: string) => [
  post(fixture(name), undefined),
  post(fixture(name), 'not-the-app-secret'),
];

describeChannelContract(
  'meta whatsappCloud',
  () => whatsappCloud({ ...common, accessToken: 'EAAG-test', phoneNumberId: '106540352242922' }),
  {
    signed: signed([
      'whatsapp/text.json',
      'whatsapp/image-caption.json',
      'whatsapp/location.json',
      'whatsapp/contacts.json',
      'whatsapp/interactive-button-reply.json',
      'whatsapp/reaction.json',
      'whatsapp/reaction-removed.json',
      'whatsapp/reply-context.json',
      'whatsapp/unsupported.json',
      'whatsapp/status-sent.json',
      'whatsapp/status-failed.json',
    ]).concat(withBadItem('whatsapp/text.json', ['entry', 0, 'changes', 0, 'value', 'messages'])),
    unsigned: unsigned('whatsapp/text.json'),
    malformed: [
      post(
        '{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"type":"text"}]}}]}]}',
        APP_SECRET,
      ),
      post(fixture('messenger/text.json'), APP_SECRET),
      post('[]', APP_SECRET),
    ],
  },
);

describeChannelContract('meta messenger', () => messenger({ ...common, pageAccessToken: 'EAAP-test' }), {
  signed: signed([
    'messenger/text.json',
    'messenger/image.json',
    'messenger/postback.json',
    'messenger/delivery.json',
    'messenger/echo.json',
  ]).concat(withBadItem('messenger/text.json', ['entry', 0, 'messaging'])),
  unsigned: unsigned('messenger/text.json'),
  malformed: [
    post(fixture('instagram/text.json'), APP_SECRET),
    post('{"object":"page","entry":[{"messaging":[{}]}]}', APP_SECRET),
  ],
});

describeChannelContract('meta instagram', () => instagram({ ...common, pageAccessToken: 'EAAI-test' }), {
  signed: signed([
    'instagram/text.json',
    'instagram/image.json',
    'instagram/story-mention.json',
    'instagram/unsent.json',
  ]),
  unsigned: unsigned('instagram/text.json'),
  malformed: [post(fixture('messenger/text.json'), APP_SECRET), post('null', APP_SECRET)],
});
