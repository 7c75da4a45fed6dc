import http from 'node:http';
import https from 'node:https';
import type { ApiserverAccess } from './provider.js';

export interface SimpleResponse {
  status: number;
  body: string;
}

/** A GET with the cluster's client certificate (or plain HTTP for etcd's metrics port). */
/** A POST of a JSON body with the cluster's client certificate. */
export function postJson(url: string, body: unknown, access: Pick<ApiserverAccess, 'caPem' | 'certPem' | 'keyPem'>, timeoutMs = 10_000): Promise<SimpleResponse> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      { method: 'POST', ca: access.caPem, cert: access.certPem, key: access.keyPem, timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': payload.length } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    request.on('error', reject);
    request.end(payload);
  });
}

export function get(url: string, access?: Pick<ApiserverAccess, 'caPem' | 'certPem' | 'keyPem'>, timeoutMs = 5_000): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const isHttps = url.startsWith('https:');
    const options: https.RequestOptions = isHttps && access ? { ca: access.caPem, cert: access.certPem, key: access.keyPem } : {};
    const request = (isHttps ? https : http).get(url, { ...options, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    request.on('error', reject);
  });
}
