// Anonymous identities: a friendly random name per tab, and a color and short
// tag per relay id so that two people with the same name still look different.
import type { PeerId } from '../../../protocol/index.ts';

const adjectives = [
  'Amber',
  'Brave',
  'Calm',
  'Clever',
  'Curious',
  'Daring',
  'Eager',
  'Gentle',
  'Happy',
  'Jolly',
  'Kind',
  'Lively',
  'Lucky',
  'Mellow',
  'Merry',
  'Nimble',
  'Patient',
  'Plucky',
  'Quiet',
  'Quick',
  'Shy',
  'Sleepy',
  'Sunny',
  'Swift',
  'Tidy',
  'Witty',
  'Wise',
  'Zesty',
  'Bold',
  'Cosy',
];
const animals = [
  'Badger',
  'Beaver',
  'Crane',
  'Dolphin',
  'Falcon',
  'Ferret',
  'Fox',
  'Gecko',
  'Heron',
  'Ibis',
  'Koala',
  'Lemur',
  'Lynx',
  'Marten',
  'Moose',
  'Newt',
  'Ocelot',
  'Otter',
  'Owl',
  'Panda',
  'Puffin',
  'Quokka',
  'Raven',
  'Robin',
  'Seal',
  'Stoat',
  'Tapir',
  'Walrus',
  'Wombat',
  'Yak',
];

function pick<T>(items: readonly T[], random: number): T {
  return items[Math.floor(random * items.length) % items.length]!;
}

/** A name like "Calm Otter"; the two numbers in [0, 1) choose the words. */
export function friendlyName(first: number, second: number): string {
  return `${pick(adjectives, first)} ${pick(animals, second)}`;
}

export function randomFriendlyName(): string {
  const [a, b] = crypto.getRandomValues(new Uint32Array(2));
  return friendlyName(a! / 2 ** 32, b! / 2 ** 32);
}

/** Shown for a peer whose name has not arrived yet. */
export const unknownName = 'Someone';

/** Number of author colors defined by the themes (--author-0 ... --author-7). */
export const authorColorCount = 8;

function hash(id: PeerId): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The color slot of an author, stable for a relay id. */
export function authorColor(id: PeerId): number {
  return hash(id) % authorColorCount;
}

/** A short tag such as "#3fa1", stable for a relay id. */
export function authorTag(id: PeerId): string {
  return '#' + hash(id).toString(16).padStart(8, '0').slice(0, 4);
}
