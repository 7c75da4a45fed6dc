import type https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Authorization } from '../core/authorization.js';

/** A header that never changes: a static token, basic auth, or none. */
export function fixedAuthorization(header?: string): Authorization {
  return { current: () => header, refresh: async (rejected) => rejected !== header };
}

/**
 * A header @kubernetes/client-node re-reads while requests flow. Its exec
 * authenticator caches a credential until its expirationTimestamp and runs the
 * plugin again after that; asking it at most once per `recheckMs` keeps the header
 * fresh without running a plugin that gives no expiry on every request.
 */
class RefreshingAuthorization implements Authorization {
  // A private field, so the token never shows up when an object holding this is logged or serialized.
  #header: string | undefined;
  #checkedAt = Date.now();
  #pending?: Promise<void>;

  constructor(
    /** A header to send from now on (undefined: keep the one there is); `refused`: the server refused the one there is. */
    private readonly read: (refused: boolean) => Promise<string | undefined>,
    initial: string | undefined,
    private readonly recheckMs: number,
  ) {
    this.#header = initial;
  }

  current(): string | undefined {
    if (!this.#pending && Date.now() - this.#checkedAt >= this.recheckMs) void this.reread();
    return this.#header;
  }

  async refresh(rejected: string | undefined): Promise<boolean> {
    if (this.#header !== rejected) return true;
    // A read that began before the refusal may still hand back the refused token: wait it out, then read anew.
    await this.#pending;
    if (this.#header === rejected) await this.reread(true);
    return this.#header !== rejected;
  }

  private reread(refused = false): Promise<void> {
    this.#pending ??= this.read(refused)
      .then(
        (header) => {
          if (header !== undefined) this.#header = header;
        },
        // A failing plugin keeps the last header: the server's 401s then say what is wrong.
        () => undefined,
      )
      .finally(() => {
        this.#checkedAt = Date.now();
        this.#pending = undefined;
      });
    return this.#pending;
  }
}

function headerOf(options: https.RequestOptions): string | undefined {
  const bearer = (options.headers as Record<string, string> | undefined)?.Authorization;
  if (bearer) return bearer;
  return typeof options.auth === 'string' && options.auth !== ':' ? `Basic ${Buffer.from(options.auth).toString('base64')}` : undefined;
}

/** The Authorization of the kubeconfig's current user, starting from the options client-node `applied`: refreshing for exec plugins and auth providers, fixed otherwise. */
export function kubeconfigAuthorization(kc: KubeConfig, applied: https.RequestOptions, recheckMs = 1_000): Authorization {
  const read = async () => {
    const options: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    return headerOf(options);
  };
  const user = kc.getCurrentUser();
  return user?.exec || user?.authProvider ? new RefreshingAuthorization(read, headerOf(applied), recheckMs) : fixedAuthorization(headerOf(applied));
}

/**
 * A ServiceAccount token renewed as kubelet renews the tokens it projects into pods: once it is
 * past 80 % of its life (checked every `recheckMs`), and at once when the server refuses it (its
 * ServiceAccount was deleted and made again). `renew` asks for a new one (a TokenRequest).
 */
export function renewingBearer(token: string, renew: () => Promise<string>, recheckMs = 60_000): Authorization {
  let renewAt = renewalTime(token);
  const read = async (refused: boolean) => {
    if (!refused && Date.now() < renewAt) return undefined;
    const fresh = await renew();
    renewAt = renewalTime(fresh);
    return `Bearer ${fresh}`;
  };
  return new RefreshingAuthorization(read, `Bearer ${token}`, recheckMs);
}

/** When a bound token is 80 % through its life, in ms since the epoch, from its JWT claims; never where they do not say. */
export function renewalTime(token: string): number {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { iat?: unknown; exp?: unknown };
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return Number.POSITIVE_INFINITY;
    return (claims.iat + 0.8 * (claims.exp - claims.iat)) * 1000;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Sends a request with the current header, and once more with fresh credentials if the first was refused for them. */
export async function withFreshCredentials<R extends { status: number }>(
  auth: Authorization | undefined,
  send: (authorization: string | undefined) => Promise<R>,
): Promise<R> {
  const sent = auth?.current();
  const response = await send(sent);
  if (response.status !== 401 || !auth || !(await auth.refresh(sent))) return response;
  return send(auth.current());
}
