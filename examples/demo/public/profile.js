// The inbox's right pane: the customer's profile, linked identities, context and merge suggestions.
import { api, badge, customerName, h, hueOf, initials, shortTime } from './dom.js';

const kindLabels = {
  email: 'Email',
  phone: 'Phone',
  whatsapp: 'WhatsApp',
  webchat: 'Visitor',
  external: 'Shop account',
  telegram: 'Telegram',
  messenger: 'Messenger',
  instagram: 'Instagram',
  slack: 'Slack',
};

function identityRow(identity) {
  return h(
    'li.identity',
    { dataset: { kind: identity.kind, verified: String(identity.verified) } },
    h(
      'div.identity-main',
      {},
      h('span.identity-kind', {}, kindLabels[identity.kind] ?? identity.kind),
      h(
        'span.identity-value',
        { title: identity.value },
        identity.kind === 'webchat' ? `${identity.value.slice(0, 8)}…` : identity.value,
      ),
    ),
    identity.verified
      ? h('span.verified', { title: `Verified via ${identity.source}` }, '✓ verified')
      : h('span.unverified', { title: `Claimed via ${identity.source}` }, 'unverified'),
  );
}

function section(title, ...children) {
  return h('section.card', {}, h('h3', {}, title), ...children);
}

function suggestionCard(suggestion, refresh) {
  const name = (c) => c.displayName || c.identities[0]?.value || c.id.slice(-6);
  const act = (verb) => async () => {
    try {
      await api(`/api/merge-suggestions/${suggestion.id}/${verb}`, { method: 'POST', body: {} });
    } catch (error) {
      alert(error.message);
    }
    refresh();
  };
  return h(
    'li.suggestion',
    { dataset: { suggestionId: suggestion.id } },
    h(
      'p',
      {},
      h('strong', {}, name(suggestion.customer)),
      ' and ',
      h('strong', {}, name(suggestion.other)),
      ' share ',
      h('code', {}, `${suggestion.identity.kind}:${suggestion.identity.value}`),
    ),
    h(
      'p.muted',
      {},
      suggestion.reason === 'unverified'
        ? 'One side is unverified, so it was not merged automatically.'
        : 'Merging is off by policy.',
    ),
    h(
      'div.actions',
      {},
      h('button.btn.primary.small', { onclick: act('accept') }, 'Merge'),
      h('button.btn.secondary.small', { onclick: act('reject') }, 'Dismiss'),
    ),
  );
}

function linkForm(customer, refresh) {
  const kind = h(
    'select',
    { 'aria-label': 'Identity kind' },
    h('option', { value: 'email' }, 'Email'),
    h('option', { value: 'phone' }, 'Phone'),
  );
  const value = h('input', { type: 'text', placeholder: 'ann@example.com', 'aria-label': 'Identity value' });
  return h(
    'form.link-form',
    {
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api(`/api/customers/${customer.id}/identities`, {
            method: 'POST',
            body: { kind: kind.value, value: value.value },
          });
          value.value = '';
        } catch (error) {
          alert(error.message);
        }
        refresh();
      },
    },
    kind,
    value,
    h('button.btn.secondary.small', { type: 'submit' }, 'Link'),
  );
}

/** Renders the profile pane for a conversation view. */
export async function renderProfile(el, view, refresh) {
  const { customer, context } = view;
  const suggestions = await api('/api/merge-suggestions').catch(() => []);
  const contacts = Object.entries(context.lastContact).sort((a, b) => b[1].localeCompare(a[1]));
  el.replaceChildren(
    h(
      'div.profile-head',
      {},
      h('div.avatar.large', { style: `--hue:${hueOf(customer.id)}` }, initials(customer.displayName)),
      h('h2', {}, customerName(customer)),
      h('div.muted', {}, `Customer since ${new Date(customer.createdAt).toLocaleDateString()}`),
    ),
    section(
      'Identities',
      h('ul.identities', {}, customer.identities.map(identityRow)),
      linkForm(customer, refresh),
    ),
    section(
      'Across channels',
      h(
        'dl.stats',
        {},
        h('div', {}, h('dt', {}, 'Conversations'), h('dd', {}, context.counts.conversations)),
        h('div', {}, h('dt', {}, 'Messages'), h('dd', {}, context.counts.messages)),
        h('div', {}, h('dt', {}, 'Open'), h('dd', {}, context.counts.open)),
      ),
      h(
        'ul.contacts',
        {},
        contacts.map(([channel, at]) =>
          h('li', {}, badge(channel, channel), h('span.muted', {}, `last ${shortTime(at)}`)),
        ),
      ),
    ),
    section(
      `Merge suggestions${suggestions.length ? ` (${suggestions.length})` : ''}`,
      suggestions.length
        ? h(
            'ul.suggestions',
            {},
            suggestions.map((s) => suggestionCard(s, refresh)),
          )
        : h('p.muted', {}, 'None. They appear when an unverified identity matches another customer.'),
    ),
  );
}
