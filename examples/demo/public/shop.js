// The shop page: defines the <threadline-chat> widget and plays the shop's login.
import { defineChatWidget } from '/widget.js';

defineChatWidget();

const widget = document.querySelector('threadline-chat');
const login = document.getElementById('login');
const who = document.getElementById('who');

function showUser(user) {
  who.textContent = `Signed in as ${user.name}`;
  who.classList.add('signed-in');
  login.textContent = 'Log out';
  login.dataset.state = 'in';
}

// The shop's server signs an identity token for its logged-in user; the widget sends it along,
// and the desk links this visitor to Ann's verified email (and so to her history).
async function logIn() {
  const response = await fetch('/api/identity-token', { method: 'POST' });
  const { token, user } = await response.json();
  sessionStorage.setItem('demo.token', JSON.stringify({ token, user }));
  widget.setAttribute('token', token);
  showUser(user);
}

function logOut() {
  sessionStorage.removeItem('demo.token');
  location.reload();
}

login.addEventListener('click', () => (login.dataset.state === 'in' ? logOut() : logIn()));

const saved = sessionStorage.getItem('demo.token');
if (saved) {
  const { token, user } = JSON.parse(saved);
  widget.setAttribute('token', token);
  showUser(user);
}
