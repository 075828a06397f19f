// Carries out what lib/alerts.ts decided: a desktop notification through the
// Notification API, and a short tone made with Web Audio (no sound file is
// requested). Permission is asked only from the reader's own click.
import type { NotificationAccess, NotificationText } from '../lib/alerts.ts';

export function notificationAccess(): NotificationAccess {
  return typeof Notification === 'function' ? Notification.permission : 'unsupported';
}

/** Asks the browser, which may show its prompt; call only when the reader turns notifications on. */
export async function askForNotifications(): Promise<NotificationAccess> {
  if (typeof Notification !== 'function') return 'unsupported';
  return Notification.requestPermission();
}

/** One notification at a time: a newer one replaces the last, and clicking it brings the room back. */
export function showNotification({ title, body }: NotificationText): void {
  try {
    const notification = new Notification(title, { body, tag: 'onetimechat', silent: true });
    notification.onclick = () => {
      focus();
      notification.close();
    };
  } catch {
    // Some browsers allow notifications only from a service worker; the title still counts what arrived.
  }
}

let audio: AudioContext | undefined;

/**
 * Two soft notes, about a quarter of a second. The context is made on the
 * reader's click that turns sound on (browsers start audio only after one),
 * then kept for later tones.
 */
export function playTone(): void {
  try {
    audio ??= new AudioContext();
    void audio.resume();
    const start = audio.currentTime;
    for (const [offset, frequency] of [
      [0, 880],
      [0.12, 660],
    ] as const) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.15, start + offset + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.14);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.15);
    }
  } catch {
    // No audio output: the notification and the title remain.
  }
}
