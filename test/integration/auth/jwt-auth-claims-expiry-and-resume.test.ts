import { generateKeyPairSync } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ClientOptions, CloseInfo, OpenInfo, ReconnectInfo } from '../../../src/client/index.js';
import { PROTOCOL_VERSION } from '../../../src/protocol/version.js';
import { jwtAuth } from '../../../src/server/index.js';
import { connectClient, openClient } from '../../support/client-harness.js';
import { closeAfterTest, closeAll } from '../../support/close-after-test.js';
import { startTestServer, type TestServer } from '../../support/server-harness.js';
import { delay, waitFor } from '../../support/wait.js';

afterEach(closeAll);

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const secretKey = new TextEncoder().encode(SECRET);

interface Claims {
  sub?: string;
  subscribe?: string[];
  publish?: string[];
  /** Seconds from now; null: no exp claim. */
  expiresIn?: number | null;
}

function hmacToken({ sub = 'alice', subscribe = ['news', 'chat:*'], publish = ['chat:*'], expiresIn = 60 }: Claims = {}): Promise<string> {
  const jwt = new SignJWT({ subscribe, publish }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt();
  if (expiresIn !== null) jwt.setExpirationTime(Math.round(Date.now() / 1000 + expiresIn));
  return jwt.sign(secretKey);
}

/**
 * A token that stays valid for at least a second (exp counts whole seconds, so "now + 1 s" may be a
 * millisecond away), and a wait until it has expired.
 */
async function shortLivedToken(): Promise<{ token: string; expired(): Promise<void> }> {
  const exp = Math.floor(Date.now() / 1000) + 2;
  const token = await hmacToken({ expiresIn: exp - Date.now() / 1000 });
  return { token, expired: () => delay(exp * 1000 - Date.now() + 100) };
}

/** What a subscription attempt came to: 'new' (accepted) or the error code. */
function subscribeOutcome(client: ReturnType<typeof connectClient>, channel: string): Promise<string> {
  return new Promise((resolve) => {
    client.subscribe(channel, { onSubscribed: (info) => resolve(info.status), onError: (error) => resolve(error.code) });
  });
}

/** Opens a client and resolves how its first connection ended: open, or closed with a code. */
async function firstOutcome(server: TestServer, options: ClientOptions): Promise<'open' | CloseInfo> {
  const client = connectClient(server.url, options);
  return new Promise((resolve) => {
    client.on('open', () => resolve('open'));
    client.on('close', (info) => resolve(info));
  });
}

describe('jwtAuth: users and channel permissions from signed tokens', () => {
  it('takes the user from sub and the channels from the subscribe and publish claims, with * patterns', async () => {
    const server = await startTestServer({ ...jwtAuth({ secret: SECRET }) });
    const alice = await openClient(server.url, { auth: await hmacToken() });
    const bob = await openClient(server.url, { auth: { token: await hmacToken({ sub: 'bob', subscribe: ['chat:*'], publish: [] }) } });

    expect(await subscribeOutcome(alice, 'news')).toBe('new');
    expect(await subscribeOutcome(alice, 'chat:lobby')).toBe('new');
    expect(await subscribeOutcome(alice, 'admin')).toBe('forbidden');
    expect(await subscribeOutcome(alice, 'chatter')).toBe('forbidden');
    expect(await subscribeOutcome(bob, 'chat:lobby')).toBe('new');
    expect(await subscribeOutcome(bob, 'news')).toBe('forbidden');
    await alice.publish('chat:lobby', 'hi');
    await expect(alice.publish('news', 'x')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(bob.publish('chat:lobby', 'x')).rejects.toMatchObject({ code: 'forbidden' });
    expect(server.pushwire.disconnect({ user: 'alice' })).toBe(1); // the user id is the token's sub
  });

  it('verifies public-key tokens (ES256 and RS256) and refuses one signed by another key', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ecServer = await startTestServer({ ...jwtAuth({ publicKey: ec.publicKey.export({ type: 'spki', format: 'pem' }) as string }) });
    const rsaServer = await startTestServer({ ...jwtAuth({ publicKey: rsa.publicKey }) });
    const sign = (alg: string, key: typeof ec.privateKey) =>
      new SignJWT({ subscribe: ['*'] }).setProtectedHeader({ alg }).setSubject('carol').setExpirationTime('1m').sign(key);

    expect(await firstOutcome(ecServer, { auth: await sign('ES256', ec.privateKey) })).toBe('open');
    expect(await firstOutcome(rsaServer, { auth: await sign('RS256', rsa.privateKey) })).toBe('open');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(await firstOutcome(ecServer, { auth: await sign('ES256', other.privateKey) })).toEqual({
      code: 4200,
      reason: 'token signature invalid',
    });
    // An HMAC token made with the public key as its secret (the classic algorithm confusion) is refused.
    const pem = new TextEncoder().encode(rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const confused = await new SignJWT({ subscribe: ['*'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setExpirationTime('1m')
      .sign(pem);
    expect(await firstOutcome(rsaServer, { auth: confused })).toEqual({ code: 4200, reason: 'token algorithm not allowed' });
  });

  it('verifies tokens against the public keys of a JWKS URL, picked by kid', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' }] });
    const idp = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    closeAfterTest(idp, (server) => new Promise((resolve) => server.close(resolve)));
    const server = await startTestServer({ ...jwtAuth({ jwksUrl: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json` }) });
    const sign = (kid: string) =>
      new SignJWT({ subscribe: ['*'] })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setSubject('dave')
        .setExpirationTime('1m')
        .sign(privateKey);

    expect(await firstOutcome(server, { auth: await sign('key-1') })).toBe('open');
    expect(await firstOutcome(server, { auth: await sign('unknown-key') })).toEqual({
      code: 4200,
      reason: 'token invalid (ERR_JWKS_NO_MATCHING_KEY)',
    });
  });

  it('refuses with close 4200: an expired token, a token without exp, a bad signature, no token', async () => {
    const server = await startTestServer({ ...jwtAuth({ secret: SECRET, clockTolerance: 0 }) });
    const forged = await new SignJWT({ subscribe: ['*'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('another-secret-of-at-least-32-bytes!'));

    const outcomes = [
      await firstOutcome(server, { auth: await hmacToken({ expiresIn: -10 }) }),
      await firstOutcome(server, { auth: await hmacToken({ expiresIn: null }) }),
      await firstOutcome(server, { auth: forged }),
      await firstOutcome(server, {}),
    ];
    expect(outcomes).toEqual([
      { code: 4200, reason: 'token expired' },
      { code: 4200, reason: expect.stringMatching(/^token refused: missing required "exp" claim/) },
      { code: 4200, reason: 'token signature invalid' },
      { code: 4200, reason: 'no token: the auth option must be a JWT or { token }' },
    ]);
  });

  it('refuses an expired token on a resume with 4200; the same session resumes with a fresh token', async () => {
    const server = await startTestServer({ ...jwtAuth({ secret: SECRET, clockTolerance: 0 }) });
    const url = `ws://127.0.0.1:${server.port}/pushwire/ws`;
    const shortLived = await shortLivedToken();

    const first = await handshake(url, shortLived.token);
    expect(first.welcome).toMatchObject({ t: 'welcome', resumed: false });
    const { sid, secret } = first.welcome as { sid: string; secret: string };
    first.socket.close();
    await shortLived.expired();

    const expired = await handshake(url, shortLived.token, { sid, secret, rx: 0 });
    const fresh = await handshake(url, await hmacToken(), { sid, secret, rx: 0 });

    expect(expired.closed).toEqual({ code: 4200, reason: 'token expired' });
    expect(fresh.welcome).toMatchObject({ t: 'welcome', sid, resumed: true });
  });

  it('a client whose cached token expired while it was away gets a fresh one from its auth function and resumes', async () => {
    const server = await startTestServer({ ...jwtAuth({ secret: SECRET, clockTolerance: 0 }) });
    const shortLived = await shortLivedToken();
    let cached = shortLived.token;
    let refreshes = 0;
    const reconnects: ReconnectInfo[] = [];
    const opens: OpenInfo[] = [];
    // The usual application pattern: reuse the token until the server refuses it, then fetch another.
    let refused = false;
    const client = await openClient(server.url, {
      auth: async () => {
        if (refused) {
          refused = false;
          refreshes++;
          cached = await hmacToken();
        }
        return cached;
      },
    });
    client.on('reconnecting', (info) => {
      reconnects.push(info);
      if (info.code === 4200) refused = true;
    });
    client.on('open', (info) => opens.push(info));
    await shortLived.expired();
    server.killConnections();

    await waitFor(() => opens.length === 1, 'reopened');
    expect(reconnects.map((r) => r.code)).toContain(4200);
    expect(refreshes).toBe(1);
    expect(opens[0]).toMatchObject({ resumed: true });
  });
});

interface Handshake {
  socket: WebSocket;
  welcome?: unknown;
  closed?: { code: number; reason: string };
}

/** A raw WebSocket handshake: hello with `auth` (and a session to resume); resolves with the welcome or the close. */
function handshake(url: string, auth: string, resume: { sid: string; secret: string; rx: number } | object = {}): Promise<Handshake> {
  const socket = closeAfterTest(new WebSocket(url), (s) => s.terminate());
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, auth, ...resume })));
    socket.on('message', (data) => {
      for (const line of String(data).split('\n')) {
        const frame = JSON.parse(line) as { t: string };
        if (frame.t === 'welcome') resolve({ socket, welcome: frame });
      }
    });
    socket.once('close', (code, reason) => resolve({ socket, closed: { code, reason: String(reason) } }));
  });
}
