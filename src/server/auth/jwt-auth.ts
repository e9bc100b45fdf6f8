import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import type { AuthResult, HandshakeInfo, Session } from '../options.js';
import { channelMatcher } from './channel-pattern.js';

export interface JwtAuthOptions {
  /** The HMAC secret (HS256, HS384, HS512), at least 32 bytes. */
  secret?: string | Uint8Array;
  /** A public key in PEM (SPKI) for RS*, PS*, ES* or EdDSA tokens. */
  publicKey?: string | KeyObject;
  /** A JWKS URL of your identity provider (public keys, fetched and cached by jose). */
  jwksUrl?: string;
  /**
   * Accepted `alg` values. Default: HS256/384/512 with a secret; with a public key, those of its type
   * (RSA: RS* and PS*, EC: ES*, Ed25519: EdDSA); with a JWKS: RS256 and ES256.
   */
  algorithms?: string[];
  /** Required `iss`. */
  issuer?: string | string[];
  /** Required `aud`. */
  audience?: string | string[];
  /** Leeway for `exp` and `nbf`, seconds. Default 5. */
  clockTolerance?: number;
  /** Refuse tokens without `exp` (a token that never expires can never be revoked by time). Default true. */
  requireExpiry?: boolean;
  /** Names of the claims listing the channel patterns a user may subscribe and publish to. Default `subscribe`, `publish`. */
  claims?: { subscribe?: string; publish?: string };
}

/** The `user` of a session that jwtAuth accepted. */
export interface JwtUser {
  /** The token's `sub`. */
  id: string;
  /** Channel patterns the user may subscribe to (and read presence of). */
  subscribe: string[];
  /** Channel patterns the user may publish to. */
  publish: string[];
  /** When the token expires, ms since the epoch (undefined: never). */
  expiresAt: number | undefined;
  /** Every claim of the token. */
  claims: JWTPayload;
}

/** The server hooks jwtAuth returns: spread them into `createServer`'s options. */
export interface JwtAuthHooks {
  authorize(info: HandshakeInfo): Promise<AuthResult>;
  canSubscribe(session: Session, channel: string): boolean;
  canPublish(session: Session, channel: string): boolean;
}

type Jose = typeof import('jose');

/**
 * jose is loaded on the first handshake, not when pushwire/server is: a server without jwtAuth never
 * loads it, and a CommonJS build reaches the ESM-only package through a dynamic import.
 */
let jose: Promise<Jose> | undefined;
const loadJose = (): Promise<Jose> => (jose ??= import('jose'));

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const MIN_SECRET_BYTES = 32;

/**
 * Authentication without writing it: the client's `auth` is a signed JWT (or `{ token }`), verified on
 * every handshake — a reconnect or resume included, so an expired token is refused with close 4200 and
 * the client asks its `auth` function for a fresh one. `sub` names the user; the `subscribe` and
 * `publish` claims list the channel patterns (`*` matches any run of characters) the user may use.
 *
 *     createServer({ ...jwtAuth({ secret: process.env.JWT_SECRET }), httpApi: … })
 */
export function jwtAuth(options: JwtAuthOptions): JwtAuthHooks {
  const { key: givenKey, algorithms } = verificationKey(options);
  /** The key, or (JWKS) a function jose builds to fetch and cache the provider's keys. */
  let key: Promise<Uint8Array | KeyObject | JWTVerifyGetKey> | undefined;
  const resolveKey = (): Promise<Uint8Array | KeyObject | JWTVerifyGetKey> =>
    (key ??=
      typeof givenKey === 'string'
        ? loadJose().then(({ createRemoteJWKSet }) => createRemoteJWKSet(new URL(givenKey)))
        : Promise.resolve(givenKey));
  const subscribeClaim = options.claims?.subscribe ?? 'subscribe';
  const publishClaim = options.claims?.publish ?? 'publish';
  const verifyOptions = {
    algorithms,
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockTolerance ?? 5,
    requiredClaims: options.requireExpiry === false ? ['sub'] : ['sub', 'exp'],
  };
  /** Compiled patterns, shared by every session whose token lists the same ones. */
  const matchers = new Map<string, (channel: string) => boolean>();
  const allowed = (patterns: string[], channel: string): boolean =>
    patterns.some((pattern) => {
      let matches = matchers.get(pattern);
      if (!matches) {
        matches = channelMatcher(pattern);
        if (matchers.size < 10_000) matchers.set(pattern, matches);
      }
      return matches(channel);
    });

  return {
    async authorize(info) {
      const token = tokenOf(info);
      if (token === undefined) return { ok: false, reason: 'no token: the auth option must be a JWT or { token }' };
      const { jwtVerify, errors } = await loadJose();
      try {
        const verifying = await resolveKey();
        const { payload } =
          typeof verifying === 'function'
            ? await jwtVerify(token, verifying, verifyOptions)
            : await jwtVerify(token, verifying, verifyOptions);
        const user: JwtUser = {
          id: String(payload.sub),
          subscribe: patternsOf(payload[subscribeClaim]),
          publish: patternsOf(payload[publishClaim]),
          expiresAt: payload.exp === undefined ? undefined : payload.exp * 1000,
          claims: payload,
        };
        return { ok: true, user };
      } catch (error) {
        return { ok: false, reason: refusal(error, errors) };
      }
    },
    canSubscribe: (session, channel) => isJwtUser(session.user) && allowed(session.user.subscribe, channel),
    canPublish: (session, channel) => isJwtUser(session.user) && allowed(session.user.publish, channel),
  };
}

/** The secret or public key, or the JWKS URL (its key set needs jose, loaded later). */
function verificationKey(options: JwtAuthOptions): { key: Uint8Array | KeyObject | string; algorithms: string[] } {
  const given = [options.secret, options.publicKey, options.jwksUrl].filter((value) => value !== undefined).length;
  if (given !== 1) throw new TypeError('pushwire: jwtAuth needs exactly one of secret, publicKey and jwksUrl');
  if (options.secret !== undefined) {
    const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
    if (secret.byteLength < MIN_SECRET_BYTES) throw new RangeError(`pushwire: a JWT secret must be at least ${MIN_SECRET_BYTES} bytes`);
    return { key: secret, algorithms: options.algorithms ?? HMAC_ALGORITHMS };
  }
  if (options.publicKey !== undefined) {
    const key = typeof options.publicKey === 'string' ? createPublicKey(options.publicKey) : options.publicKey;
    return { key, algorithms: options.algorithms ?? algorithmsFor(key) };
  }
  return { key: new URL(options.jwksUrl!).href, algorithms: options.algorithms ?? ['RS256', 'ES256'] };
}

function algorithmsFor(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec':
      return ['ES256', 'ES384', 'ES512'];
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      throw new TypeError(
        `pushwire: jwtAuth does not know which algorithms a ${key.asymmetricKeyType ?? 'symmetric'} key signs with; set algorithms`,
      );
  }
}

/** The token: the client's `auth` if a string, or its `token` field. */
function tokenOf(info: HandshakeInfo): string | undefined {
  const auth = info.auth;
  if (typeof auth === 'string') return auth;
  const token = typeof auth === 'object' && auth !== null ? (auth as { token?: unknown }).token : undefined;
  return typeof token === 'string' ? token : undefined;
}

function patternsOf(claim: unknown): string[] {
  if (typeof claim === 'string') return [claim];
  return Array.isArray(claim) ? claim.filter((item): item is string => typeof item === 'string') : [];
}

function isJwtUser(user: unknown): user is JwtUser {
  return (
    typeof user === 'object' && user !== null && Array.isArray((user as JwtUser).subscribe) && Array.isArray((user as JwtUser).publish)
  );
}

/** The reason the client gets in its close frame: what was wrong, never the key or the token. */
function refusal(error: unknown, errors: Jose['errors']): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `token refused: ${error.message}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  if (error instanceof errors.JOSEError) return `token invalid (${error.code})`;
  return 'token invalid';
}
