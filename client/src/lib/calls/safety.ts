// The safety code on each tile: derived from the room and both sides' DTLS
// fingerprints, so two people who read the same code to each other know that
// nobody holding the room key sits between their browsers.

/** The first DTLS fingerprint of a session description, e.g. "sha-256 AB:CD:…", or undefined. */
export function fingerprintOf(sdp: string): string | undefined {
  const match = /^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/m.exec(sdp);
  return match ? `${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}` : undefined;
}

/** Six digits in two groups, the same on both sides whichever is local. */
export async function safetyCode(roomId: string, fingerprintA: string, fingerprintB: string): Promise<string> {
  const [first, second] = [fingerprintA, fingerprintB].sort();
  const input = new TextEncoder().encode(`onetimechat call v1\n${roomId}\n${first}\n${second}`);
  const digest = new DataView(await crypto.subtle.digest('SHA-256', input));
  const digits = String(digest.getUint32(0) % 1_000_000).padStart(6, '0');
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}
