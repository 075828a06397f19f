// Whether a message that just arrived should raise a desktop notification or
// a sound, and what the notification says. Pure: the page passes in whether it
// is hidden, the reader's choices and the browser's permission, and a thin
// adapter (components/desktop-alerts.ts) carries the answer out. The caller
// passes only live messages from others (the room's live events), never
// history arriving or our own echo.

export interface AlertChoices {
  /** Desktop notifications at all; off by default. */
  notifications: boolean;
  /** Who wrote and what, instead of only that something arrived; a separate opt-in. */
  notificationText: boolean;
  /** A short tone; off by default. */
  sound: boolean;
}

export type NotificationAccess = NotificationPermission | 'unsupported';

export interface Arrived {
  /** The author's name as shown in the room. */
  author: string;
  text: string;
  /** A /me line: "name text". */
  action: boolean;
  /** It carries an image or a file. */
  file: boolean;
}

export interface NotificationText {
  title: string;
  body: string;
}

export interface Alert {
  notification?: NotificationText;
  sound: boolean;
}

/**
 * By default the notification says only this: operating systems keep
 * notification text in their history and show it on a locked screen.
 */
export const genericNotification: NotificationText = {
  title: 'onetimechat',
  body: 'A new message arrived.',
};

/** Longer bodies are cut: a notification is a glance, and the rest is in the room. */
export const maxBodyLength = 160;

/** Tones closer together than this are one: a burst of messages sounds once. */
export const soundGapMs = 2000;

export class Alerts {
  #lastSoundAt = -Infinity;

  /** What to do for a message that arrived at `now` (ms); nothing while the reader is looking at the page. */
  arrived(
    message: Arrived,
    context: { hidden: boolean; choices: AlertChoices; access: NotificationAccess; now: number },
  ): Alert {
    const { hidden, choices, access, now } = context;
    if (!hidden) return { sound: false };
    const sound = choices.sound && now - this.#lastSoundAt >= soundGapMs;
    if (sound) this.#lastSoundAt = now;
    if (!choices.notifications || access !== 'granted') return { sound };
    return { notification: choices.notificationText ? withText(message) : genericNotification, sound };
  }
}

function withText({ author, text, action, file }: Arrived): NotificationText {
  const said = text.trim() === '' && file ? 'sent a file' : action ? `${author} ${text}` : text;
  // Cut between characters, never inside one.
  const chars = [...said];
  const body = chars.length > maxBodyLength ? `${chars.slice(0, maxBodyLength - 1).join('')}…` : said;
  return { title: `${author} in onetimechat`, body };
}
