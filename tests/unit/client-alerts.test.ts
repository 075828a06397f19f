import { describe, expect, it } from 'vitest';
import {
  Alerts,
  genericNotification,
  maxBodyLength,
  soundGapMs,
  type AlertChoices,
  type Arrived,
} from '../../client/src/lib/alerts.ts';

const message: Arrived = { author: 'Blue Heron', text: 'the meeting moved to 3', action: false, file: false };
const everything: AlertChoices = { notifications: true, notificationText: true, sound: true };
const generic: AlertChoices = { notifications: true, notificationText: false, sound: false };

function arrived(alerts: Alerts, choices: AlertChoices, more: Partial<Parameters<Alerts['arrived']>[1]> = {}) {
  return alerts.arrived(message, { hidden: true, choices, access: 'granted', now: 0, ...more });
}

describe('desktop notifications and sound', () => {
  it('do nothing while the page is visible, whatever is chosen', () => {
    expect(arrived(new Alerts(), everything, { hidden: false })).toEqual({ sound: false });
  });

  it('do nothing when off, as they are by default', () => {
    expect(arrived(new Alerts(), { notifications: false, notificationText: true, sound: false })).toEqual({
      sound: false,
    });
  });

  it('say only that a message arrived unless the text is asked for', () => {
    expect(arrived(new Alerts(), generic).notification).toEqual(genericNotification);
    expect(JSON.stringify(arrived(new Alerts(), generic))).not.toContain('Blue Heron');
    expect(JSON.stringify(arrived(new Alerts(), generic))).not.toContain('meeting');
  });

  it('show who wrote and what with the opt-in, a /me line as it reads, and a file without text', () => {
    expect(arrived(new Alerts(), everything).notification).toEqual({
      title: 'Blue Heron in onetimechat',
      body: 'the meeting moved to 3',
    });
    const action = new Alerts().arrived(
      { ...message, text: 'waves', action: true },
      { hidden: true, choices: everything, access: 'granted', now: 0 },
    );
    expect(action.notification?.body).toBe('Blue Heron waves');
    const file = new Alerts().arrived(
      { ...message, text: '', file: true },
      { hidden: true, choices: everything, access: 'granted', now: 0 },
    );
    expect(file.notification?.body).toBe('sent a file');
  });

  it('cut a long text between characters', () => {
    const long = '😀'.repeat(maxBodyLength + 10);
    const body = new Alerts().arrived(
      { ...message, text: long },
      { hidden: true, choices: everything, access: 'granted', now: 0 },
    ).notification!.body;
    expect([...body]).toHaveLength(maxBodyLength);
    expect(body.endsWith('😀…')).toBe(true);
  });

  it('show no notification without the browser’s permission, but may still sound', () => {
    for (const access of ['default', 'denied', 'unsupported'] as const) {
      expect(arrived(new Alerts(), everything, { access })).toEqual({ sound: true });
    }
  });

  it('sound once for a burst of messages, and again after a pause', () => {
    const alerts = new Alerts();
    const choices: AlertChoices = { notifications: false, notificationText: false, sound: true };
    expect(arrived(alerts, choices, { now: 1000 }).sound).toBe(true);
    expect(arrived(alerts, choices, { now: 1000 + soundGapMs - 1 }).sound).toBe(false);
    expect(arrived(alerts, choices, { now: 1000 + soundGapMs }).sound).toBe(true);
    // A message seen while visible does not hold back the next tone.
    expect(arrived(alerts, choices, { now: 1000 + 3 * soundGapMs, hidden: false }).sound).toBe(false);
    expect(arrived(alerts, choices, { now: 1000 + 3 * soundGapMs + 1 }).sound).toBe(true);
  });
});
