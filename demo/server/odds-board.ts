import { randomBytes } from 'node:crypto';
import type { PatchOperation } from 'pushwire/server';
import { type Market, ODDS_CHANNEL, type OddsBoard as OddsDocument } from '../shared/demo-messages.js';

const TEAMS = [
  'Ajax',
  'Benfica',
  'Celtic',
  'Dortmund',
  'Everton',
  'Feyenoord',
  'Galatasaray',
  'Hajduk',
  'Inter',
  'Juventus',
  'Kaiserslautern',
  'Lyon',
  'Marseille',
  'Napoli',
  'Olympiacos',
  'Porto',
  'Rangers',
  'Sevilla',
  'Twente',
  'Udinese',
  'Valencia',
  'Wolfsburg',
  'Young Boys',
  'Zenit',
  'Anderlecht',
  'Basel',
  'Club Brugge',
  'Dinamo',
  'Eintracht',
  'Fiorentina',
  'Genk',
  'Hertha',
  'Sparta',
  'Slavia',
  'Lazio',
  'Roma',
  'Braga',
  'Sporting',
  'Monaco',
  'Lille',
];

/** What the odds board needs from the server: the state API of `pushwire/server`. */
export interface StateWriter {
  setState(channel: string, doc: unknown): Promise<unknown>;
  patchState(channel: string, operations: PatchOperation[]): Promise<unknown>;
  getState<T>(channel: string): Promise<{ state: T | null }>;
}

const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * The live odds board: 20 markets in one synced state channel. Every tick moves a few prices and
 * publishes only those changes, as one JSON Patch diff; pages follow the document with `syncedState(client, channel)` (pushwire/sync).
 * Each tick starts from the channel's current document, so several demo servers sharing Redis tick
 * the same board.
 */
export class OddsBoard {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly writer: StateWriter,
    private readonly random: () => number = Math.random,
  ) {}

  /** Publishes a fresh board unless the channel already has one, then a diff every `intervalMs`. */
  async start(intervalMs: number): Promise<void> {
    const { state } = await this.writer.getState<OddsDocument>(ODDS_CHANNEL);
    if (!state?.markets?.length) await this.writer.setState(ODDS_CHANNEL, this.fresh());
    this.timer = setInterval(() => void this.tick().catch(() => {}), intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Moves one to three prices; one diff with only the fields that changed. */
  async tick(): Promise<void> {
    const { state } = await this.writer.getState<OddsDocument>(ODDS_CHANNEL);
    if (!state) return;
    const operations: PatchOperation[] = [];
    const count = 1 + Math.floor(this.random() * 3);
    for (let k = 0; k < count; k++) {
      const index = Math.floor(this.random() * state.markets.length);
      const market = state.markets[index]!;
      const outcome = Math.floor(this.random() * 3);
      const step = (this.random() < 0.5 ? -1 : 1) * (0.01 + round(this.random() * 0.15));
      const price = Math.max(1.01, round(market.odds[outcome]! + step));
      if (price === market.odds[outcome]) continue;
      const moves = [0, 0, 0];
      moves[outcome] = price > market.odds[outcome]! ? 1 : -1;
      operations.push(
        { op: 'replace', path: `/markets/${index}/odds/${outcome}`, value: price },
        { op: 'replace', path: `/markets/${index}/moves`, value: moves },
        { op: 'replace', path: `/markets/${index}/changes`, value: market.changes + 1 },
      );
    }
    if (operations.length > 0) await this.writer.patchState(ODDS_CHANNEL, operations);
  }

  private fresh(): OddsDocument {
    const markets: Market[] = Array.from({ length: 20 }, (_, i) => ({
      id: `m${i + 1}`,
      home: TEAMS[2 * i]!,
      away: TEAMS[2 * i + 1]!,
      odds: [round(1.5 + this.random() * 3), round(2.8 + this.random() * 1.2), round(1.5 + this.random() * 4)],
      moves: [0, 0, 0],
      changes: 0,
    }));
    return { run: randomBytes(4).toString('base64url'), markets };
  }
}
