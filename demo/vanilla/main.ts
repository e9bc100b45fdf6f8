import { createDemoClient } from '../shared/demo-client.js';
import { Identity } from '../shared/identity.js';
import type { Pushwire, PushwireSync } from '../shared/pushwire-module.js';
import { chatCard } from './chat-card.js';
import { gameCard } from './game-card.js';
import { inspectorCard } from './inspector-card.js';
import { oddsCard } from './odds-card.js';

declare global {
  interface Window {
    /** Defined by the IIFE builds: /dist/pushwire.global.js, and `sync` by /dist/pushwire-sync.global.js. */
    Pushwire: Pushwire & { sync: PushwireSync };
  }
}

const demo = createDemoClient(window.Pushwire, location);
const identity = new Identity();
document
  .getElementById('app')!
  .append(
    chatCard(demo, identity, window.Pushwire.sync),
    gameCard(demo, identity),
    inspectorCard(demo),
    oddsCard(demo, window.Pushwire.sync),
  );
