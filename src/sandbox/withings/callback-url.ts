// NOTE: Withings accepts callback URLs (OAuth redirect and notifications) only over https, on port
// 80 or 443, with a host name that is not an IP or localhost, at most 255 characters. The sandbox
// applies the rules only with strictCallbackUrls, since tests run on loopback http (docs/withings.md, The sandbox emulator).

import { isIP } from 'node:net';

/** Why the URL is refused, or undefined when it is acceptable. */
export function callbackUrlProblem(text: string, strict: boolean): string | undefined {
  if (text.length > 255) return 'longer than 255 characters';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'not http(s)';
  if (!strict) return undefined;
  if (url.protocol !== 'https:') return 'not https';
  if (url.port !== '' && url.port !== '443' && url.port !== '80') return 'port other than 80 or 443';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return 'an IP address';
  if (host === 'localhost' || host.endsWith('.localhost')) return 'localhost';
  return undefined;
}
