import type { ServerHooks, Session } from 'pushwire/server';
import { ChatRoom, type Publish } from './chat-room.js';
import { GameRoom } from './game-room.js';
import { CHAT_CHANNEL, GAME_CHANNEL, ODDS_CHANNEL, TICKS_CHANNEL } from '../shared/demo-messages.js';
import { parseRequest } from './request-parser.js';

export interface DemoAppOptions {
  /** Most people in the chat room at once. Default 50. */
  chatCapacity?: number;
  /** Where a failed leave notice is reported (e.g. the broker closed during shutdown). */
  onError?: (error: unknown) => void;
}

export interface DemoApps {
  chat: ChatRoom;
  game: GameRoom;
  /** The server hooks that route the pages' requests to the apps. */
  hooks: Pick<ServerHooks, 'canSubscribe' | 'canPublish' | 'onMessage' | 'onClose'>;
}

const CHANNELS = new Set([CHAT_CHANNEL, GAME_CHANNEL, TICKS_CHANNEL, ODDS_CHANNEL]);

/** The chat room and the Connect Four table behind the demo pages. Pages never publish: the apps do. */
export function createDemoApps(publish: Publish, options: DemoAppOptions = {}): DemoApps {
  const chat = new ChatRoom(publish, options.chatCapacity ?? 50);
  const game = new GameRoom(publish);

  async function onMessage(session: Session, data: unknown): Promise<void> {
    const request = parseRequest(data);
    if (request.app === 'chat') {
      if (request.type === 'join') return chat.join(session, request.name);
      if (request.type === 'say') return chat.say(session, request.text);
      return chat.leave(session);
    }
    switch (request.type) {
      case 'sit':
        return game.sit(session, request.name);
      case 'move':
        return game.move(session, request.column);
      case 'rematch':
        return game.rematch(session);
      case 'leave':
        return game.leave(session);
      case 'sync':
        session.send(game.snapshot(session));
        return;
    }
  }

  return {
    chat,
    game,
    hooks: {
      canSubscribe: (_session, channel) => CHANNELS.has(channel),
      canPublish: () => false,
      onMessage,
      onClose: (session) => {
        const report = options.onError ?? (() => {});
        chat.leave(session).catch(report);
        game.leave(session).catch(report);
      },
    },
  };
}
