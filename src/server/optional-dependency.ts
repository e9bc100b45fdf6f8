import { createRequire } from 'node:module';

/**
 * Throws at once, with the command that fixes it, if an optional peer dependency is not installed:
 * better when the server is created than at its first publish.
 */
export function assertInstalled(name: string, neededBy: string): void {
  try {
    createRequire(import.meta.url).resolve(name);
  } catch {
    throw new Error(`pushwire: ${neededBy} needs the optional package "${name}", which is not installed: npm install ${name}`);
  }
}
