import { useState } from 'react';
import { nameStore } from '../shared/chat-text.js';
import type { DemoClient } from '../shared/demo-client.js';
import { ChatCard } from './chat-card.js';
import { GameCard } from './game-card.js';
import { InspectorCard } from './inspector-card.js';
import { OddsCard } from './odds-card.js';

/** The four cards of the page; the grid in styles.css places them. */
export function App({ demo }: { demo: DemoClient }) {
  const [name, setName] = useState(nameStore.get);
  const changeName = (next: string): void => {
    nameStore.set(next);
    setName(next);
  };
  return (
    <>
      <ChatCard name={name} onName={changeName} tracker={demo.tracker} />
      <GameCard name={name} tracker={demo.tracker} />
      <InspectorCard demo={demo} />
      <OddsCard />
    </>
  );
}
