// base64url without padding (RFC 4648 section 5): safe in URL fragments, room
// ids and JSON strings without any escaping. Built on the browser's native
// Uint8Array.fromBase64 where it exists, else on btoa/atob, which are many
// times faster than a loop in JavaScript for large payloads.

/** The native decoder (ES2026), where the engine has it. */
const nativeFromBase64 = (
  Uint8Array as unknown as {
    fromBase64?: (
      text: string,
      options: { alphabet: 'base64url'; lastChunkHandling: 'loose' },
    ) => Uint8Array<ArrayBuffer>;
  }
).fromBase64;

/** fromCharCode.apply over small chunks is several times faster than spreading large ones. */
const chunkSize = 4096;
const base64urlPattern = /^[A-Za-z0-9_-]*$/;

export function toBase64url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += chunkSize) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunkSize) as unknown as number[]);
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of a base64url string, or undefined if it is not one. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length % 4 === 1 || !base64urlPattern.test(text)) return undefined;
  if (nativeFromBase64) return nativeFromBase64(text, { alphabet: 'base64url', lastChunkHandling: 'loose' });
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
