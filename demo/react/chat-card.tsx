import { useChannel, useConnection, usePresence, usePushwire } from 'pushwire/react';
import { type FormEvent, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { CHAT_CHANNEL, type ChatEvent } from '../shared/demo-messages.js';
import type { ChannelTracker } from '../shared/channel-tracker.js';
import { CHAT_HISTORY, noticeText, timeOf } from '../shared/chat-text.js';
import { useRequestError } from './use-error.js';

type Line = { key: number; seq?: number; event: ChatEvent | { kind: 'reset' } };

interface Props {
  name: string;
  onName(name: string): void;
  tracker: ChannelTracker;
}

/** The chat room: pick a name, the last 1,000 messages, join/leave notices, resets shown in line. */
export function ChatCard({ name, onName, tracker }: Props) {
  const client = usePushwire();
  const [lines, setLines] = useState<Line[]>([]);
  const [joined, setJoined] = useState('');
  const [draft, setDraft] = useState('');
  const [nameDraft, setNameDraft] = useState('');
  const [error, run] = useRequestError();
  const nextKey = useRef(0);
  const log = useRef<HTMLOListElement>(null);
  const stuckToBottom = useRef(true);

  const add = (line: Omit<Line, 'key'>): void => setLines((list) => [...list, { ...line, key: nextKey.current++ }].slice(-CHAT_HISTORY));

  useEffect(() => tracker.subscribing(CHAT_CHANNEL), [tracker]);
  const channel = useChannel<ChatEvent>(
    CHAT_CHANNEL,
    (event, info) => {
      tracker.delivered(info);
      add({ seq: info.seq, event });
    },
    { rewind: CHAT_HISTORY, onSubscribed: (info) => tracker.subscribed(info), onReset: () => add({ event: { kind: 'reset' } }) },
  );

  // Who is here: this page watches the room's presence, and is part of it once it joined the chat.
  const presence = usePresence(CHAT_CHANNEL, joined ? { name: joined } : undefined);

  const join = async (wanted: string): Promise<void> => {
    if (await run(client.send({ app: 'chat', type: 'join', name: wanted }))) {
      setJoined(wanted.trim());
      onName(wanted.trim());
    }
  };
  // Rejoin under the remembered name on load, and whenever the server had to start a new session or
  // the session moved to another server node.
  const { newSessions, moves } = useConnection();
  const rejoinAs = joined || name;
  useEffect(() => {
    if (rejoinAs) void join(rejoinAs);
    // Only on mount and on a new or moved session: a name change goes through the form.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [newSessions, moves]);

  const leave = (): void => {
    setJoined('');
    onName('');
    void run(client.send({ app: 'chat', type: 'leave' }));
  };

  const say = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const text = draft.trim();
    if (text && (await run(client.send({ app: 'chat', type: 'say', text })))) setDraft('');
  };

  useLayoutEffect(() => {
    const element = log.current;
    if (element && stuckToBottom.current) element.scrollTop = element.scrollHeight;
  }, [lines]);

  return (
    <section className="card area-chat" data-testid="chat">
      <header>
        <h2>Chat room</h2>
        <span className="badge" data-status={channel.status} data-testid="chat-status">
          {channel.status}
        </span>
        <span className="badge" data-tone="good" data-testid="chat-online">
          {presence.ready ? `${presence.members.length} online` : '… online'}
        </span>
        <span className="sub">last {CHAT_HISTORY.toLocaleString('en')} messages</span>
      </header>
      {joined ? (
        <p className="me">
          You are <strong>{joined}</strong> ·{' '}
          <button type="button" className="secondary" onClick={leave}>
            Leave
          </button>
        </p>
      ) : (
        <form
          className="row name-form"
          data-testid="name-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (nameDraft.trim()) void join(nameDraft);
          }}
        >
          <input
            type="text"
            placeholder="Your name"
            maxLength={24}
            autoComplete="nickname"
            data-testid="name-input"
            value={nameDraft}
            onChange={(e) => setNameDraft(e.target.value)}
          />
          <button type="submit">Join</button>
        </form>
      )}
      <ol
        className="chat-log"
        data-testid="chat-log"
        aria-live="polite"
        ref={log}
        onScroll={(e) => {
          const el = e.currentTarget;
          stuckToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {lines.length === 0 && <li className="empty">No messages yet.</li>}
        {lines.map(({ key, seq, event }) =>
          event.kind === 'message' ? (
            <li key={key} className={`message${event.name === joined ? ' mine' : ''}`} data-seq={seq}>
              <time>{timeOf(event.at)}</time>
              <span className="who">{event.name}</span>
              <span className="text">{event.text}</span>
            </li>
          ) : event.kind === 'reset' ? (
            <li key={key} className="notice reset" data-testid="chat-reset">
              The server lost the chat history (it restarted?): earlier messages may be missing.
            </li>
          ) : (
            <li key={key} className="notice">
              {noticeText(event)}
            </li>
          ),
        )}
      </ol>
      <form className="row" onSubmit={(event) => void say(event)}>
        <input
          type="text"
          placeholder={joined ? 'Say something…' : 'Pick a name to write'}
          maxLength={500}
          autoComplete="off"
          data-testid="chat-input"
          disabled={!joined}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" data-testid="chat-send" disabled={!joined}>
          Send
        </button>
      </form>
      <p className="error" role="alert" data-testid="chat-error">
        {error}
      </p>
    </section>
  );
}
