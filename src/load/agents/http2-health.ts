import type http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';

/**
 * client-go's HTTP/2 health check (apimachinery's SetTransportDefaults, from the environment's
 * HTTP2_READ_IDLE_TIMEOUT_SECONDS and HTTP2_PING_TIMEOUT_SECONDS): a connection that read no frame for
 * `readIdleMs` is sent a PING, and is lost if the answer has not come within `pingTimeoutMs`.
 * `readIdleMs` 0 turns it off, as 0 does in client-go.
 */
export interface HealthCheck {
  readIdleMs: number;
  pingTimeoutMs: number;
}

/** client-go's: 30 s and 15 s, or what the same environment variables say (whole seconds; one that is no number is ignored, as client-go does). */
export function clientGoHealthCheck(env: NodeJS.ProcessEnv = process.env): HealthCheck {
  const seconds = (name: string, fallback: number) => {
    const value = env[name];
    return value && /^-?\d+$/.test(value) ? Number(value) : fallback;
  };
  return { readIdleMs: seconds('HTTP2_READ_IDLE_TIMEOUT_SECONDS', 30) * 1000, pingTimeoutMs: seconds('HTTP2_PING_TIMEOUT_SECONDS', 15) * 1000 };
}

/** How many looks at the socket per read-idle period: a PING goes out at most a third of the period late. */
const looksPerPeriod = 3;

/**
 * Watches `session` over `socket` as Go's transport does (its readLoop resets a timer on every frame read,
 * and healthCheck pings once it fires); calls `lost` once a PING went unanswered, and stops when the session
 * closes. Node tells no frame's arrival but the bytes read, so the socket's count is looked at a few times per
 * period instead of a timer reset per frame.
 */
export function watchHealth(session: http2.ClientHttp2Session, socket: TLSSocket, check: HealthCheck, lost: () => void): void {
  if (check.readIdleMs <= 0) return;
  let lastRead = socket.bytesRead;
  let idleSince = performance.now();
  let unanswered: NodeJS.Timeout | undefined;
  const look = () => {
    if (socket.bytesRead !== lastRead) {
      lastRead = socket.bytesRead;
      idleSince = performance.now();
      return;
    }
    if (unanswered || performance.now() - idleSince < check.readIdleMs) return;
    unanswered = setTimeout(lost, check.pingTimeoutMs);
    const answered = (error: Error | null) => {
      clearTimeout(unanswered);
      unanswered = undefined;
      // A PING cancelled with its session is no answer, but the session is gone already.
      if (error && !session.destroyed) lost();
    };
    if (!session.ping(answered)) answered(null);
  };
  const timer = setInterval(look, check.readIdleMs / looksPerPeriod);
  timer.unref();
  session.once('close', () => {
    clearInterval(timer);
    clearTimeout(unanswered);
  });
}
