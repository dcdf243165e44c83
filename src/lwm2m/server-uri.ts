// An LwM2M Server or Bootstrap-Server URI: coap:// is NoSec, coaps:// is DTLS (default ports 5683 and 5684).
export function parseServerUri(uri: string): { host: string; port: number; secure: boolean } {
  const url = new URL(uri);
  if (url.protocol !== 'coap:' && url.protocol !== 'coaps:') throw new Error(`LwM2M server URI must be coap:// or coaps://, not ${url.protocol}`);
  const secure = url.protocol === 'coaps:';
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : secure ? 5684 : 5683, secure };
}
