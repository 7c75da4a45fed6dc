import http from 'node:http';
import https from 'node:https';
import { withFreshCredentials } from '../load/authorization.js';
import type { ApiserverAccess } from '../core/cluster.js';

export interface SimpleResponse {
  status: number;
  body: string;
}

type Credentials = Omit<ApiserverAccess, 'server'>;

/** One small request with the cluster's client certificate (or plain HTTP for etcd's metrics port). */
function sendOnce(
  method: string,
  url: string,
  body: unknown,
  access: Credentials | undefined,
  authorization: string | undefined,
  timeoutMs: number,
): Promise<SimpleResponse> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const isHttps = url.startsWith('https:');
    const tls: https.RequestOptions =
      isHttps && access ? { ca: access.caPem, cert: access.certPem, key: access.keyPem, rejectUnauthorized: !access.insecure } : {};
    const headers = {
      ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
      ...(authorization ? { authorization } : {}),
    };
    const request = (isHttps ? https : http).request(url, { ...tls, method, timeout: timeoutMs, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    request.on('error', reject);
    request.end(payload);
  });
}

function send(method: string, url: string, body: unknown, access: Credentials | undefined, timeoutMs: number): Promise<SimpleResponse> {
  return withFreshCredentials(url.startsWith('https:') ? access?.credentials : undefined, (authorization) =>
    sendOnce(method, url, body, access, authorization, timeoutMs),
  );
}

export function get(url: string, access?: Credentials, timeoutMs = 5_000): Promise<SimpleResponse> {
  return send('GET', url, undefined, access, timeoutMs);
}

export function postJson(url: string, body: unknown, access: Credentials, timeoutMs = 10_000): Promise<SimpleResponse> {
  return send('POST', url, body, access, timeoutMs);
}
