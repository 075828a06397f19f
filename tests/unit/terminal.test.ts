// The terminal client's pure parts: what it prints of the room, how it reads
// its command line, and its input line.
import fc from 'fast-check';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../client/src/lib/chat/history.ts';
import { authorColor, authorTag } from '../../client/src/lib/names.ts';
import { loadPreferences, savePreference, switchDefaults } from '../../client/src/lib/preferences.ts';
import { defaultRelay, parseCommandLine, parseDuration } from '../../client/src/terminal/args.ts';
import { filePreferenceStorage, preferencesPath } from '../../client/src/terminal/file-preferences.ts';
import { messageJson, messageLine } from '../../client/src/terminal/format.ts';
import { LineEditor } from '../../client/src/terminal/line-editor.ts';
import { safeJson, sanitizeLine, sanitizeLines } from '../../client/src/terminal/sanitize.ts';
import { authorStyle, entryLines, renderFrame } from '../../client/src/terminal/screen.ts';
import { resolveTarget } from '../../client/src/terminal/target.ts';
import { textWidth, wrap } from '../../client/src/terminal/width.ts';

const c0 = Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code));
const c1 = Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(0x80 + code));
const bidi = ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e'].concat([
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
]);
/** Everything a terminal would obey rather than print. */
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const obeyed = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('sanitising what came from the room', () => {
  it('shows every C0 control and DEL as its control picture', () => {
    for (const char of [...c0, '\u007f']) {
      const shown = sanitizeLine(`a${char}b`);
      expect(shown).not.toMatch(obeyed);
      expect(shown).toHaveLength(3);
    }
    expect(sanitizeLine('\u0007')).toBe('\u2407');
    expect(sanitizeLine('\u007f')).toBe('\u2421');
    expect(sanitizeLine('a\tb')).toBe('a b');
    expect(sanitizeLine('one\ntwo\r\nthree')).toBe('one\u2424two\u2424three');
  });

  it('replaces every C1 control and every bidirectional control', () => {
    for (const char of [...c1, ...bidi, '\u2028', '\u2029']) expect(sanitizeLine(`x${char}y`)).not.toMatch(obeyed);
    expect(sanitizeLine('\u202egnp.exe')).toBe('\ufffdgnp.exe');
  });

  it('leaves CSI and OSC sequences as harmless visible text', () => {
    expect(sanitizeLine('\u001b[2J\u001b[H')).toBe('\u241b[2J\u241b[H');
    expect(sanitizeLine('\u001b]0;pwned\u0007')).toBe('\u241b]0;pwned\u2407');
    expect(sanitizeLine('\u001b]8;;http://evil.test\u001b\\click\u001b]8;;\u001b\\')).not.toMatch(obeyed);
    expect(sanitizeLine('\u009b31m8-bit CSI')).toBe('\ufffd31m8-bit CSI');
  });

  it('keeps ordinary text, accents, scripts and emoji as they are', () => {
    const text = 'Grüße, 你好, مرحبا, שלום 👋🏽 👨‍👩‍👧';
    expect(sanitizeLine(text)).toBe(text);
  });

  it('never lets anything obeyed through, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(sanitizeLine(text)).not.toMatch(obeyed);
        for (const line of sanitizeLines(text)) expect(line).not.toMatch(obeyed);
      }),
    );
  });

  it('writes JSON that parses back to the same text and holds nothing a terminal obeys', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const json = safeJson({ text });
        expect(json).not.toMatch(obeyed);
        expect(JSON.parse(json)).toEqual({ text });
      }),
    );
  });
});

describe('the command line', () => {
  const env = {};
  const parse = (...args: string[]) => parseCommandLine(args, env);

  it('takes a link or a room name, and the relay from --relay, the environment or the default', () => {
    expect(parse('http://h/#s')).toMatchObject({ ok: true, options: { target: 'http://h/#s', relay: defaultRelay } });
    expect(parseCommandLine(['our room'], { ONETIMECHAT_RELAY: 'https://r.test' })).toMatchObject({
      options: { target: 'our room', relay: 'https://r.test' },
    });
    expect(parse('x', '--relay', 'http://127.0.0.1:9')).toMatchObject({ options: { relay: 'http://127.0.0.1:9' } });
  });

  it('reads the link from ONETIMECHAT_LINK when none is given, so it stays out of process listings', () => {
    expect(parseCommandLine([], { ONETIMECHAT_LINK: 'http://h/#s' })).toMatchObject({
      options: { target: 'http://h/#s' },
    });
    expect(parse()).toMatchObject({ ok: true, options: { target: undefined } });
  });

  it('knows create, the script options and their values', () => {
    expect(parse('create', '--relay', 'http://r')).toMatchObject({ options: { create: true, target: undefined } });
    expect(parse('l', '--pipe', '--json', '--stay', '10m', '--name', 'Bot', '--ttl', '1h')).toMatchObject({
      options: { pipe: true, json: true, stayMs: 600_000, name: 'Bot', ttl: 3_600_000 },
    });
    expect(parse('-h')).toMatchObject({ options: { help: true } });
  });

  it('refuses what it cannot use, with a reason', () => {
    for (const args of [
      ['--bogus'],
      ['a', 'b'],
      ['create', 'room'],
      ['l', '--stay', 'soon'],
      ['l', '--ttl', '5m'],
      ['l', '--name', 'x'.repeat(33)],
      ['l', '--relay'],
    ]) {
      const parsed = parse(...args);
      expect(parsed.ok, args.join(' ')).toBe(false);
      if (!parsed.ok) expect(parsed.error).toMatch(/\w/);
    }
  });

  it('reads durations', () => {
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('forever')).toBe(Infinity);
    for (const bad of ['', 'm', '10x', '1h 30m', '-5s']) expect(parseDuration(bad), bad).toBeUndefined();
  });
});

describe('room links and names', () => {
  const secret = 'Q7tP6A2Q9bdX1LhZC8FzfA';

  it('takes the relay from a link, and a named room from the relay given', async () => {
    expect(await resolveTarget(`https://chat.test:8443/#${secret}`, defaultRelay)).toEqual({
      ok: true,
      target: { secret, origin: 'https://chat.test:8443' },
    });
    const named = await resolveTarget('our garden', 'http://127.0.0.1:9/ignored/path');
    expect(named).toMatchObject({ ok: true, target: { origin: 'http://127.0.0.1:9' } });
    expect(await resolveTarget(secret, 'http://r.test')).toEqual({
      ok: true,
      target: { secret, origin: 'http://r.test' },
    });
  });

  it('refuses links without a secret, other schemes and a bad relay', async () => {
    expect(await resolveTarget('https://chat.test/', defaultRelay)).toMatchObject({ ok: false });
    expect(await resolveTarget('https://chat.test/#short', defaultRelay)).toMatchObject({ ok: false });
    expect(await resolveTarget(`ftp://chat.test/#${secret}`, defaultRelay)).toMatchObject({ ok: false });
    expect(await resolveTarget('room', 'not a url')).toMatchObject({ ok: false });
  });
});

const author = '6f1c1a0e-8a43-4b59-9d0e-2f7b7f9f3a11';
const message = (fields: Partial<ChatMessage> = {}): ChatMessage => ({
  kind: 'message',
  id: 'm1',
  author,
  text: 'hello',
  action: false,
  ttl: 0,
  ts: Date.UTC(2026, 0, 2, 3, 4, 5),
  ...fields,
});
const speaker = { nameOf: () => 'Calm Otter', selfId: undefined };

describe('the line and JSON formats', () => {
  it('prints "time name #tag: text", and "time * name #tag text" for /me', () => {
    const time = new Date(message().ts).toTimeString().slice(0, 8);
    expect(messageLine(message(), speaker)).toBe(`${time} Calm Otter ${authorTag(author)}: hello`);
    expect(messageLine(message({ action: true, text: 'waves' }), speaker)).toBe(
      `${time} * Calm Otter ${authorTag(author)} waves`,
    );
  });

  it('keeps a message on one line and its escapes harmless', () => {
    const line = messageLine(message({ text: 'one\ntwo \u001b[2J' }), { ...speaker, nameOf: () => 'Evil\u001b]0;x' });
    expect(line).not.toMatch(obeyed);
    expect(line).not.toContain('\n');
  });

  it('writes one JSON object with the exact text and who wrote it', () => {
    const json = messageJson(message({ text: 'a\u202eb\n', ttl: 600_000 }), { ...speaker, selfId: author });
    expect(json).not.toContain('\n');
    expect(JSON.parse(json)).toEqual({
      type: 'message',
      id: 'm1',
      time: '2026-01-02T03:04:05.000Z',
      ts: Date.UTC(2026, 0, 2, 3, 4, 5),
      name: 'Calm Otter',
      tag: authorTag(author),
      self: true,
      text: 'a\u202eb\n',
      action: false,
      ttl: '10m',
    });
  });
});

describe('the screen', () => {
  const speakers = { ...speaker, depth: 'none' as const };
  const plain = (line: { text: string }[]): string => line.map((span) => span.text).join('');

  it('wraps a message within the width, continuing lines indented', () => {
    const lines = entryLines(message({ text: 'word '.repeat(30).trim() }), 40, speakers).map(plain);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(textWidth(line)).toBeLessThanOrEqual(40);
    expect(lines[1]).toMatch(/^ {2}word/);
  });

  it('gives each author the colour slot the page gives them', () => {
    const peers = Array.from({ length: 64 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    for (const depth of ['truecolor', '256'] as const) {
      const styleOfSlot = new Map<number, string>();
      for (const peer of peers) {
        const style = authorStyle(peer, depth);
        expect(styleOfSlot.get(authorColor(peer)) ?? style).toBe(style);
        styleOfSlot.set(authorColor(peer), style);
      }
      expect(new Set(styleOfSlot.values()).size).toBe(8);
    }
    expect(authorStyle(peers[0]!, 'none')).toBe('1');
  });

  it('counts wide characters as two columns', () => {
    expect(textWidth('你好')).toBe(4);
    expect(textWidth('e\u0301')).toBe(1);
    expect(wrap('你好你好你好', 5).every((piece) => textWidth(piece) <= 5)).toBe(true);
  });

  it('draws only printable text from the room in a frame', () => {
    const hostile = message({ text: '\u001b[2J\u001b]52;c;cGF5bG9hZA==\u0007\u009b1A' });
    const frame = renderFrame({
      rows: 10,
      columns: 60,
      conversation: entryLines(hostile, 60, speakers),
      status: [{ text: 'status', style: '' }],
      prompt: '> ',
      input: '',
      cursorColumn: 0,
    });
    // The frame's own sequences are cursor moves, line clears and attributes; none comes from the message.
    // eslint-disable-next-line no-control-regex -- the frame's own escape sequences
    const own = /\u001b\[(?:\?25[lh]|\d+;\d+H|H|2K|[\d;]*m)/g;
    expect(frame.replace(own, '')).not.toMatch(obeyed);
  });
});

describe('the input line', () => {
  it('edits like a shell line and walks its history', () => {
    const editor = new LineEditor();
    for (const char of 'hello world') editor.press(char, {});
    editor.press(undefined, { name: 'w', ctrl: true });
    expect(editor.text).toBe('hello ');
    editor.press(undefined, { name: 'a', ctrl: true });
    editor.press('>', {});
    expect(editor.press('\r', { name: 'return' })).toBe('submit');
    expect(editor.take()).toBe('>hello ');
    editor.press('x', {});
    editor.press(undefined, { name: 'up' });
    expect(editor.text).toBe('>hello ');
    editor.press(undefined, { name: 'down' });
    expect(editor.text).toBe('x');
  });

  it('moves and deletes whole characters, not halves of them', () => {
    const editor = new LineEditor();
    editor.insert('a😀');
    editor.press(undefined, { name: 'left' });
    expect(editor.cursor).toBe(1);
    editor.press(undefined, { name: 'end' });
    editor.press(undefined, { name: 'backspace' });
    expect(editor.text).toBe('a');
    expect(editor.press('\u001b', { name: 'escape' })).toBe('ignored');
  });
});

describe('the preferences file', () => {
  it('keeps name and lifetime between runs, and falls back to defaults for nonsense', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'onetimechat-prefs-'));
    const path = preferencesPath({ XDG_CONFIG_HOME: dir });
    expect(path).toBe(join(dir, 'onetimechat', 'preferences.json'));
    const storage = filePreferenceStorage(path);
    expect(await loadPreferences(storage)).toEqual({
      theme: undefined,
      nickname: undefined,
      ttl: 0,
      ...switchDefaults,
    });
    await savePreference(storage, 'nickname', 'Blue Heron');
    await savePreference(storage, 'ttl', 600_000);
    await savePreference(storage, 'formatting', false);
    expect(await loadPreferences(filePreferenceStorage(path))).toMatchObject({
      nickname: 'Blue Heron',
      ttl: 600_000,
      formatting: false,
    });
    await writeFile(path, '{"nickname": 42, "ttl": 5, "formatting": "no"}');
    expect(await loadPreferences(storage)).toEqual({
      theme: undefined,
      nickname: undefined,
      ttl: 0,
      ...switchDefaults,
    });
    await writeFile(path, 'not json');
    expect(await loadPreferences(storage)).toMatchObject({ nickname: undefined });
  });
});
