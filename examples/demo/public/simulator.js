// The channel simulator drawer: send as the customer (real signed webhooks, built server-side)
// and the sink of outbound deliveries (what Twilio and Postmark would have delivered).
import { api, badge, h, shortTime } from './dom.js';

const channels = [
  { id: 'sms', label: 'SMS', from: '+14155550100', placeholder: 'Hi, it is Ann. Any news on my order?' },
  { id: 'whatsapp', label: 'WhatsApp', from: '+14155550100', placeholder: 'Sending you a WhatsApp too 👋' },
  { id: 'email', label: 'Email', from: 'ann@example.com', placeholder: 'Replying by email…' },
  {
    id: 'voice',
    label: 'Voice call',
    from: '+14155550100',
    placeholder: 'Transcript of the call (optional)',
  },
];

let sinkEl = null;

/** Reloads the sink list. */
export async function refreshSink() {
  if (!sinkEl) return;
  const deliveries = await api('/api/sink').catch(() => []);
  sinkEl.replaceChildren(
    ...deliveries.map((d) =>
      h(
        'li.delivery-card',
        { dataset: { kind: d.kind } },
        h(
          'div.delivery-top',
          {},
          badge(d.kind, d.kind),
          h('span.muted', {}, `${d.provider} · ${shortTime(d.at)}`),
        ),
        h('div.delivery-route', {}, h('span', {}, d.from), ' → ', h('strong', {}, d.to)),
        d.subject ? h('div.delivery-subject', {}, d.subject) : null,
        h('pre.delivery-text', {}, d.text),
        Object.keys(d.headers).length
          ? h(
              'div.delivery-headers',
              {},
              Object.entries(d.headers).map(([k, v]) => h('div', {}, h('span', {}, `${k}: `), v)),
            )
          : null,
      ),
    ),
  );
  if (deliveries.length === 0)
    sinkEl.append(
      h(
        'li.muted.list-empty',
        {},
        'No outbound deliveries yet. Reply on SMS, WhatsApp or email from the inbox.',
      ),
    );
}

function sendForm() {
  let current = channels[0];
  const from = h('input#sim-from', { type: 'text', value: current.from, 'aria-label': 'From' });
  const subject = h('input#sim-subject', {
    type: 'text',
    placeholder: 'Subject (default: Re: the last email, or a new one)',
    'aria-label': 'Subject',
  });
  const subjectRow = h('label.field', { hidden: true }, h('span', {}, 'Subject'), subject);
  const text = h('textarea#sim-text', { rows: 4, placeholder: current.placeholder, 'aria-label': 'Message' });
  const result = h('div.sim-result', { role: 'status', 'aria-live': 'polite' });
  const picker = h(
    'div.segmented#sim-channel',
    { role: 'radiogroup', 'aria-label': 'Channel' },
    channels.map((c) =>
      h(
        'button',
        {
          type: 'button',
          role: 'radio',
          'aria-checked': String(c === current),
          dataset: { channel: c.id },
          onclick: (e) => {
            current = c;
            from.value = c.from;
            text.placeholder = c.placeholder;
            subjectRow.hidden = c.id !== 'email';
            for (const b of picker.children) b.setAttribute('aria-checked', String(b === e.currentTarget));
          },
        },
        c.label,
      ),
    ),
  );
  const submit = async (e) => {
    e.preventDefault();
    result.textContent = 'Posting the signed webhook…';
    result.className = 'sim-result';
    try {
      const answer = await api(`/api/simulate/${current.id}`, {
        method: 'POST',
        body: { from: from.value, text: text.value, subject: subject.value },
      });
      result.textContent = `Webhook answered ${answer.webhook.status}: delivered to /webhooks/${current.id}`;
      result.className = 'sim-result ok';
      text.value = '';
    } catch (error) {
      result.textContent = error.message;
      result.className = 'sim-result error';
    }
  };
  return h(
    'form.sim-form#sim-form',
    { onsubmit: submit },
    h(
      'p.muted',
      {},
      'Sends a real provider webhook (Twilio form + X-Twilio-Signature, Postmark JSON + Basic auth) to this server.',
    ),
    picker,
    h('label.field', {}, h('span', {}, 'From'), from),
    subjectRow,
    h('label.field', {}, h('span', {}, 'Message'), text),
    h('button.btn.primary#sim-send', { type: 'submit' }, 'Send as customer'),
    result,
  );
}

/** Builds the drawer and its toggle. */
export function initSimulator(drawer, toggle, open) {
  sinkEl = h('ul.sink-list#sink-list');
  drawer.replaceChildren(
    h(
      'header.drawer-header',
      {},
      h('h2', {}, 'Channel simulator'),
      h('button.icon-btn', { type: 'button', 'aria-label': 'Close', onclick: () => setOpen(false) }, '×'),
    ),
    h(
      'div.drawer-body',
      {},
      sendForm(),
      h('h3.sink-title', {}, 'Outbound sink'),
      h('p.muted', {}, 'What the providers would have delivered.'),
      sinkEl,
    ),
  );
  const setOpen = (value) => {
    drawer.hidden = !value;
    toggle.setAttribute('aria-expanded', String(value));
    toggle.classList.toggle('active', value);
    document.body.classList.toggle('drawer-open', value);
    if (value) refreshSink();
  };
  toggle.addEventListener('click', () => setOpen(drawer.hidden));
  setOpen(open);
}
