// The agent inbox: conversation list, unified timeline, composer. Live over SSE (/api/events).
import { api, badge, customerName, h, hueOf, initials, partsText, shortTime } from './dom.js';
import { renderProfile } from './profile.js';
import { initSimulator, refreshSink } from './simulator.js';
import { kindOf, renderMessage } from './timeline.js';

const state = {
  conversations: [],
  selectedId: null,
  view: null,
  filter: 'active',
  mode: 'reply',
  draftChannel: null,
};
const listEl = document.getElementById('conversation-list');
const threadEl = document.getElementById('thread');
const profileEl = document.getElementById('profile');
const activeStatuses = new Set(['open', 'pending', 'snoozed']);
/** Channels a conversation touched, without the agents' own `internal` notes. */
const customerChannels = (conversation) => conversation.channels.filter((channel) => channel !== 'internal');

function visible() {
  return state.conversations.filter(({ conversation }) => {
    if (state.filter === 'all') return true;
    if (state.filter === 'resolved') return !activeStatuses.has(conversation.status);
    return activeStatuses.has(conversation.status);
  });
}

function avatar(customer, size = '') {
  return h(
    `div.avatar${size ? `.${size}` : ''}`,
    { style: `--hue:${hueOf(customer.id)}` },
    initials(customer.displayName),
  );
}

const agents = [
  ['agent_sam', 'Sam'],
  ['agent_lee', 'Lee'],
];

function assigneeChip(id) {
  const name = agents.find(([agentId]) => agentId === id)?.[1] ?? id;
  return h('span.assignee', { title: `Assigned to ${name}` }, name);
}

function renderList() {
  const rows = visible();
  listEl.replaceChildren(
    ...rows.map(({ conversation, customer, lastMessage }) =>
      h(
        'li',
        {},
        h(
          `button.conversation${conversation.id === state.selectedId ? '.selected' : ''}`,
          { dataset: { conversationId: conversation.id }, onclick: () => select(conversation.id) },
          avatar(customer),
          h(
            'div.conversation-body',
            {},
            h(
              'div.conversation-top',
              {},
              h('span.name', {}, customerName(customer)),
              conversation.assigneeId ? assigneeChip(conversation.assigneeId) : null,
              h('span.time', {}, shortTime(conversation.lastMessageAt)),
            ),
            h(
              'div.snippet',
              {},
              lastMessage
                ? `${lastMessage.direction === 'inbound' ? '' : 'You: '}${partsText(lastMessage.parts)}`
                : '',
            ),
            h(
              'div.conversation-meta',
              {},
              h(
                'span.badges',
                {},
                customerChannels(conversation).map((channel) => badge(kindOf(channel), channel)),
              ),
              h(`span.status.status-${conversation.status}`, {}, conversation.status),
            ),
          ),
        ),
      ),
    ),
  );
  if (rows.length === 0) listEl.append(h('li.list-empty', {}, 'Nothing here yet.'));
}

function renderHeader(view) {
  const { conversation, customer } = view;
  const status = h(
    'select#status-select',
    { 'aria-label': 'Status', onchange: (e) => patch({ status: e.target.value }) },
    ['open', 'pending', 'snoozed', 'resolved', 'closed'].map((s) =>
      h('option', { value: s, selected: s === conversation.status }, s[0].toUpperCase() + s.slice(1)),
    ),
  );
  const assignee = h(
    'select#assignee-select',
    { 'aria-label': 'Assignee', onchange: (e) => patch({ assigneeId: e.target.value }) },
    [['', 'Unassigned'], ...agents].map(([value, label]) =>
      h('option', { value, selected: (conversation.assigneeId ?? '') === value }, label),
    ),
  );
  return h(
    'header.thread-header',
    {},
    avatar(customer, 'small'),
    h(
      'div.thread-title',
      {},
      h('h2', {}, customerName(customer)),
      h(
        'div.thread-sub',
        {},
        `${conversation.messageCount} message${conversation.messageCount === 1 ? '' : 's'} · ${customerChannels(conversation).join(' → ')}`,
      ),
    ),
    h('label.field-inline', {}, h('span', {}, 'Assignee'), assignee),
    h('label.field-inline', {}, h('span', {}, 'Status'), status),
    conversation.status === 'resolved'
      ? h('button.btn.secondary', { onclick: () => patch({ status: 'open' }) }, 'Reopen')
      : h('button.btn.primary', { onclick: () => patch({ status: 'resolved' }) }, 'Resolve'),
  );
}

function renderComposer(view) {
  const note = state.mode === 'note';
  const channel = state.draftChannel ?? view.defaultChannel;
  const picker = h(
    'select#reply-channel',
    {
      'aria-label': 'Reply channel',
      disabled: note,
      onchange: (e) => {
        state.draftChannel = e.target.value;
      },
    },
    view.replyChannels.map((c) =>
      h(
        'option',
        { value: c.id, disabled: !c.reachable, selected: c.id === channel },
        `${c.id}${c.reachable ? '' : ' (no address)'}`,
      ),
    ),
  );
  const input = h('textarea#reply-text', {
    rows: 3,
    placeholder: note ? 'Write a private note (only agents see it)…' : 'Write a reply…',
    'aria-label': 'Reply',
  });
  // A live refresh may replace the composer while a reply is posted: act on the current one.
  const current = () => document.getElementById('reply-text') ?? input;
  const send = async () => {
    const text = current().value.trim();
    if (!text) return;
    current().disabled = true;
    try {
      await api(`/api/conversations/${view.conversation.id}/reply`, {
        method: 'POST',
        body: { text, channel: picker.value, internal: note },
      });
      current().value = '';
      if (!note) agentTyping(false);
    } catch (error) {
      alert(error.message);
    } finally {
      current().disabled = false;
      current().focus();
      // The agent's own reply: show it, even when they had scrolled back through the history.
      const timeline = document.getElementById('timeline');
      if (timeline) timeline.scrollTop = timeline.scrollHeight;
      refresh();
    }
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) send();
  });
  if (!note) {
    input.addEventListener('input', () => agentTyping(input.value.length > 0));
    input.addEventListener('blur', () => typingSentAt && agentTyping(false));
  }
  const tab = (mode, label) =>
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        'aria-selected': String(state.mode === mode),
        onclick: () => {
          state.mode = mode;
          renderThread();
        },
      },
      label,
    );
  return h(
    `form.composer${note ? '.note-mode' : ''}`,
    {
      onsubmit: (e) => {
        e.preventDefault();
        send();
      },
    },
    h(
      'div.composer-top',
      {},
      h('div.tabs', { role: 'tablist' }, tab('reply', 'Reply'), tab('note', 'Private note')),
      note ? null : h('label.field-inline', {}, h('span', {}, 'via'), picker),
    ),
    input,
    h(
      'div.composer-bottom',
      {},
      h('span.hint', {}, 'Ctrl+Enter to send'),
      h('button.btn.primary#send-reply', { type: 'submit' }, note ? 'Add note' : 'Send'),
    ),
  );
}

function typingIndicator(view) {
  const typing = state.typingIn === view.conversation.id;
  return h(
    'div.typing-indicator',
    { hidden: !typing, 'aria-live': 'polite' },
    typing ? `${customerName(view.customer)} is typing…` : '',
  );
}

function renderThread() {
  const view = state.view;
  if (!view) return;
  // Keep the agent's draft (and focus) across live refreshes of the same conversation.
  const draft = document.getElementById('reply-text');
  const same = state.renderedId === view.conversation.id;
  const kept = draft && same ? { text: draft.value, focused: document.activeElement === draft } : null;
  // An agent reading back through the history stays where they are; at the bottom, they follow.
  const old = document.getElementById('timeline');
  const readingBack = same && old && old.scrollHeight - old.scrollTop - old.clientHeight > 40;
  const scrollTop = readingBack ? old.scrollTop : null;
  const timeline = h(
    'div.timeline#timeline',
    {},
    view.messages.map((message) => renderMessage(message, view.customer)),
  );
  threadEl.replaceChildren(renderHeader(view), timeline, typingIndicator(view), renderComposer(view));
  state.renderedId = view.conversation.id;
  timeline.scrollTop = scrollTop ?? timeline.scrollHeight;
  if (kept) {
    const input = document.getElementById('reply-text');
    input.value = kept.text;
    if (kept.focused) input.focus();
  }
}

let typingSentAt = 0;
/** Tells the widget the agent is typing, at most every 3 s. */
function agentTyping(typing) {
  const now = Date.now();
  if (typing && now - typingSentAt < 3000) return;
  typingSentAt = typing ? now : 0;
  api(`/api/conversations/${state.selectedId}/typing`, { method: 'POST', body: { typing } }).catch(
    () => undefined,
  );
}

let typingTimer = null;
function showVisitorTyping(notice) {
  clearTimeout(typingTimer);
  state.typingIn = notice.typing ? notice.conversationId : null;
  if (notice.typing) typingTimer = setTimeout(() => showVisitorTyping({ typing: false }), 6000);
  if (state.view) threadEl.querySelector('.typing-indicator')?.replaceWith(typingIndicator(state.view));
}

async function patch(body) {
  await api(`/api/conversations/${state.selectedId}`, { method: 'PATCH', body });
  await refresh();
}

async function select(id) {
  if (state.selectedId !== id) state.draftChannel = null;
  state.selectedId = id;
  history.replaceState(null, '', `${location.pathname}?c=${encodeURIComponent(id)}`);
  await refresh();
}

async function loadView() {
  if (!state.selectedId) return;
  state.view = await api(`/api/conversations/${state.selectedId}`);
  renderThread();
  renderProfile(profileEl, state.view, refresh);
}

let pending = null;
/** Reloads the list and the open conversation (coalesced). */
export async function refresh() {
  pending ??= (async () => {
    try {
      state.conversations = await api('/api/conversations');
      if (!state.selectedId)
        state.selectedId =
          new URLSearchParams(location.search).get('c') ?? visible()[0]?.conversation.id ?? null;
      renderList();
      await loadView();
    } finally {
      pending = null;
    }
  })();
  return pending;
}

let timer = null;
function connectLive() {
  const events = new EventSource('/api/events');
  events.onmessage = () => undefined;
  const onNotice = (event) => {
    if (event.type === 'sink.delivery') return refreshSink();
    clearTimeout(timer);
    timer = setTimeout(refresh, 60);
  };
  for (const type of [
    'message.received',
    'message.queued',
    'message.sent',
    'message.status',
    'conversation.created',
    'conversation.updated',
    'customer.updated',
    'customer.identified',
    'customer.merged',
    'customer.unmerged',
    'customer.merge_suggested',
    'sink.delivery',
  ]) {
    events.addEventListener(type, onNotice);
  }
  events.addEventListener('visitor.typing', (event) => showVisitorTyping(JSON.parse(event.data)));
  events.addEventListener('ready', () => document.body.classList.add('live'));
  events.onerror = () => document.body.classList.remove('live');
}

for (const tab of document.querySelectorAll('#status-tabs [data-filter]')) {
  tab.addEventListener('click', () => {
    state.filter = tab.dataset.filter;
    for (const other of document.querySelectorAll('#status-tabs [data-filter]'))
      other.setAttribute('aria-selected', String(other === tab));
    renderList();
  });
}

initSimulator(
  document.getElementById('simulator'),
  document.getElementById('toggle-simulator'),
  location.pathname === '/simulator',
);
connectLive();
refresh();
