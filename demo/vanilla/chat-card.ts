import { CHAT_CHANNEL, type ChatEvent } from '../shared/demo-messages.js';
import { CHAT_HISTORY, noticeText, timeOf } from '../shared/chat-text.js';
import type { DemoClient } from '../shared/demo-client.js';
import type { Identity } from '../shared/identity.js';
import type { PushwireSync } from '../shared/pushwire-module.js';
import { errorText, fill, h } from './dom.js';

/** The chat room: pick a name, the last 1,000 messages, join/leave notices, resets shown in line. */
export function chatCard({ client, tracker }: DemoClient, identity: Identity, sync: PushwireSync): HTMLElement {
  const status = h('span', { class: 'badge', dataset: { status: 'subscribing' }, 'data-testid': 'chat-status' }, 'subscribing');
  const log = h(
    'ol',
    { class: 'chat-log', 'data-testid': 'chat-log', 'aria-live': 'polite' },
    h('li', { class: 'empty' }, 'No messages yet.'),
  );
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'chat-error' });
  const nameInput = h('input', {
    type: 'text',
    placeholder: 'Your name',
    maxlength: 24,
    autocomplete: 'nickname',
    'data-testid': 'name-input',
  });
  const textInput = h('input', {
    type: 'text',
    placeholder: 'Say something…',
    maxlength: 500,
    autocomplete: 'off',
    'data-testid': 'chat-input',
  });
  const sendButton = h('button', { type: 'submit', 'data-testid': 'chat-send' }, 'Send');
  const me = h('p', { class: 'me' });
  const online = h('span', { class: 'badge', dataset: { tone: 'good' }, 'data-testid': 'chat-online' }, '… online');
  // Who is here: every page watches the room's presence; a page that joined the chat is part of it.
  const presence = sync.presence(client, CHAT_CHANNEL);
  const count = (): void => void (online.textContent = `${presence.list().length} online`);
  for (const event of ['join', 'leave', 'sync'] as const) presence.on(event, count);
  const nameForm = h('form', { class: 'row name-form', 'data-testid': 'name-form' }, nameInput, h('button', { type: 'submit' }, 'Join'));
  const sayForm = h('form', { class: 'row' }, textInput, sendButton);
  let joined = '';

  const render = (): void => {
    nameForm.hidden = joined !== '';
    me.hidden = joined === '';
    fill(me, 'You are ', h('strong', {}, joined), ' · ', h('button', { type: 'button', class: 'secondary', onclick: leave }, 'Leave'));
    textInput.disabled = sendButton.disabled = joined === '';
    textInput.placeholder = joined ? 'Say something…' : 'Pick a name to write';
  };

  const add = (item: HTMLLIElement): void => {
    log.querySelector('.empty')?.remove();
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(item);
    while (log.children.length > CHAT_HISTORY) log.firstElementChild?.remove();
    if (atBottom) log.scrollTop = log.scrollHeight;
  };

  async function join(name: string): Promise<void> {
    error.textContent = '';
    try {
      await client.send({ app: 'chat', type: 'join', name });
      joined = name.trim();
      identity.set(joined);
      await presence.join({ name: joined });
    } catch (cause) {
      error.textContent = errorText(cause);
    }
    render();
  }

  function leave(): void {
    joined = '';
    identity.set('');
    render();
    client.send({ app: 'chat', type: 'leave' }).catch((cause: unknown) => (error.textContent = errorText(cause)));
    presence.leave().catch((cause: unknown) => (error.textContent = errorText(cause)));
  }

  nameForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (nameInput.value.trim()) void join(nameInput.value);
  });
  sayForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = textInput.value.trim();
    if (!text) return;
    error.textContent = '';
    client.send({ app: 'chat', type: 'say', text }).then(
      () => (textInput.value = ''),
      (cause: unknown) => (error.textContent = errorText(cause)),
    );
  });

  tracker.subscribing(CHAT_CHANNEL);
  client.subscribe<ChatEvent>(
    CHAT_CHANNEL,
    {
      onMessage(event, info) {
        tracker.delivered(info);
        if (event.kind === 'message') {
          add(
            h(
              'li',
              { class: `message${event.name === joined ? ' mine' : ''}`, 'data-seq': info.seq },
              h('time', {}, timeOf(event.at)),
              h('span', { class: 'who' }, event.name),
              h('span', { class: 'text' }, event.text),
            ),
          );
        } else {
          add(h('li', { class: 'notice' }, noticeText(event)));
        }
      },
      onSubscribed(info) {
        tracker.subscribed(info);
        status.textContent = info.status;
        status.dataset.status = info.status;
      },
      onReset() {
        add(
          h(
            'li',
            { class: 'notice reset', 'data-testid': 'chat-reset' },
            'The server lost the chat history (it restarted?): earlier messages may be missing.',
          ),
        );
      },
      onError(cause) {
        status.textContent = status.dataset.status = 'error';
        error.textContent = errorText(cause);
      },
    },
    { rewind: CHAT_HISTORY },
  );

  // A new session (the server restarted or forgot us), or one that moved to another server node, has
  // no member there: join again under the same name.
  let opens = 0;
  client.on('open', ({ resumed, moved }) => {
    if (++opens > 1 && (!resumed || moved) && joined) void join(joined);
  });
  if (identity.name) void join(identity.name);
  render();

  return h(
    'section',
    { class: 'card area-chat', 'data-testid': 'chat' },
    h(
      'header',
      {},
      h('h2', {}, 'Chat room'),
      status,
      online,
      h('span', { class: 'sub' }, `last ${CHAT_HISTORY.toLocaleString('en')} messages`),
    ),
    nameForm,
    me,
    log,
    sayForm,
    error,
  );
}
