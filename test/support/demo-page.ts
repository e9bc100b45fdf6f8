import type { Page } from 'playwright-core';
import { expect } from 'vitest';

// Helpers that drive the demo pages; both pages (vanilla and React) have the same test ids.

export async function joinChat(page: Page, name: string): Promise<void> {
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('name-input').press('Enter');
  await page.locator('.me strong', { hasText: name }).waitFor();
}

export async function say(page: Page, text: string): Promise<void> {
  await page.getByTestId('chat-input').fill(text);
  await page.getByTestId('chat-input').press('Enter');
  // The input clears once the server acknowledged the message.
  await expect.poll(() => page.getByTestId('chat-input').inputValue(), { timeout: 10_000 }).toBe('');
}

export function chatMessage(page: Page, text: string) {
  return page.getByTestId('chat-log').locator('li.message', { hasText: text });
}

type Fact = 'state' | 'tick' | 'transport' | 'reconnects' | 'new-sessions' | 'resets' | 'rtt' | 'session';

export function fact(page: Page, id: Fact) {
  return page.getByTestId('inspector').getByTestId(id);
}

/** Waits until an inspector fact reads `value`. */
export async function factIs(page: Page, id: Fact, value: string | RegExp, timeout = 15_000): Promise<void> {
  await expect
    .poll(async () => (await fact(page, id).textContent())?.trim(), { timeout })
    .toMatch(value instanceof RegExp ? value : new RegExp(`^${value}$`));
}
