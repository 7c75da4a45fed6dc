import http from 'node:http';
import https from 'node:https';
import type { ApiserverAccess } from './provider.js';

export interface SimpleResponse {
  status: number;
  body: string;
}

/** A GET with the cluster's client certificate (or plain HTTP for etcd's metrics port). */
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
