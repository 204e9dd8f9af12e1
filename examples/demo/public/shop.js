// The shop page: defines the <threadline-chat> widget and plays the shop's login.
import { defineChatWidget } from '/widget.js';

const widget = document.querySelector('threadline-chat');
const login = document.getElementById('login');
const who = document.getElementById('who');
/** Whether Ann is logged in to the shop (this tab's pretend session). */
const SESSION_KEY = 'demo.user';
let refreshTimer = null;
let issuedAt = 0;
let lifetimeMs = 0;

function showUser(user) {
  who.textContent = user ? `Signed in as ${user.name}` : 'Browsing as a guest';
  who.classList.toggle('signed-in', Boolean(user));
  login.textContent = user ? 'Log out' : 'Log in as Ann (ann@example.com)';
  login.dataset.state = user ? 'in' : 'out';
}

// The shop's server signs a short-lived identity token for its logged-in user; the widget sends it
// with every request, and the desk links this visitor to Ann's verified email (and her history).
// A token is never kept: each page load asks for a fresh one, and it is renewed before it expires,
// as a real shop would from its session (an expired token is refused with 401). Renewal is
// seamless: the widget takes a new token for the same user without restarting the chat.
async function issueToken() {
  const response = await fetch('/api/identity-token', { method: 'POST' });
  if (!response.ok) throw new Error(`identity token: ${response.status}`);
  const { token, user, expiresInSec } = await response.json();
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(user));
  widget.setAttribute('token', token);
  showUser(user);
  issuedAt = Date.now();
  lifetimeMs = expiresInSec * 1000;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(renewToken, lifetimeMs * 0.8);
}

function renewToken() {
  issueToken().catch((error) => console.warn('demo shop:', error.message));
}

// Timers sleep with the laptop: on return to the tab, renew a token that is (nearly) expired.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && issuedAt && Date.now() - issuedAt > lifetimeMs * 0.8)
    renewToken();
});

// Removing the token logs the visitor out of chat: the widget calls `client.forget()`, which erases
// Ann's chat cache and visitor id from this browser, and goes on as a new anonymous visitor.
function logOut() {
  sessionStorage.removeItem(SESSION_KEY);
  clearTimeout(refreshTimer);
  issuedAt = 0;
  widget.removeAttribute('token');
  showUser(null);
}

login.addEventListener('click', () => (login.dataset.state === 'in' ? logOut() : renewToken()));

// Back on the page while logged in: a fresh token first, so the widget starts as Ann at once.
if (sessionStorage.getItem(SESSION_KEY))
  await issueToken().catch((error) => console.warn('demo shop:', error.message));
defineChatWidget();
