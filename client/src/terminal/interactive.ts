// The interactive client: an alternate screen the program owns (so lines can
// vanish, and nothing of the conversation is left in the terminal's
// scrollback on exit), keys read through Node's readline, and the room's
// commands handled by the same code as the page's message box.
import { emitKeypressEvents } from 'node:readline';
import { connectionLabel, typingText, whoText } from '../lib/describe.ts';
import type { RoomSession } from '../lib/room.ts';
import { parseInput } from '../lib/commands.ts';
import { submitInput, type InputHost } from '../lib/input.ts';
import type { Navigation } from '../lib/navigation.ts';
import { newRoomSecret } from '../lib/crypto.ts';
import type { Ttl } from '../lib/ttl.ts';
import { LineEditor, type Key } from './line-editor.ts';
import { leaveRoom, openRoom, type OpenedRoom } from './room.ts';
import { sanitizeLine } from './sanitize.ts';
import { renderFrame, sgr, visibleLines, type ColorDepth, type Line } from './screen.ts';
import { linkOf, resolveTarget, type RoomTarget } from './target.ts';
import { textWidth } from './width.ts';

export interface Preferred {
  name: string;
  ttl: Ttl;
  setNickname(name: string): void;
  setTtl(ttl: Ttl): void;
}

export interface Terminal {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  depth: ColorDepth;
}

const enterScreen = '\u001b[?1049h\u001b[H\u001b[2J';
const leaveScreen = '\u001b[?25h\u001b[?1049l';
const prompt = '> ';
const notInRoom = 'You are not in a room: /create one, /join <link or name>, or /quit.';
const terminalHelp: [string, string][] = [
  ['/link', 'show this room’s link and a QR code of it'],
  ['/quit', 'leave the room and exit (also Ctrl-C)'],
  ['PgUp/PgDn', 'scroll the conversation'],
];

/** A room link with a QR code of it, for a phone to join. */
async function linkNotice(target: RoomTarget): Promise<string> {
  const link = linkOf(target);
  // Loaded when a link is shown, not on every start. Light modules drawn as blocks: right on the usual dark terminal.
  const { default: QRCode } = await import('qrcode');
  const qr = await QRCode.toString(link, {
    type: 'utf8',
    errorCorrectionLevel: 'L',
    color: { dark: '#ffffff', light: '#000000' },
  });
  return `Room link (anyone with it can join): ${link}\n${qr.replace(/\n$/, '')}`;
}

export class InteractiveClient {
  #room: OpenedRoom | undefined;
  /** Said when no room is open. */
  #outside: string[] = [];
  readonly #editor = new LineEditor();
  #scroll = 0;
  #drawScheduled = false;
  #finished: (() => void) | undefined;
  #running = false;
  readonly #terminal: Terminal;
  readonly #preferred: Preferred;
  #relayOrigin: string;

  constructor(room: OpenedRoom, terminal: Terminal, preferred: Preferred) {
    this.#terminal = terminal;
    this.#preferred = preferred;
    this.#relayOrigin = room.target.origin;
    this.#room = room;
  }

  /** The callbacks a room opened for this client needs. */
  readonly callbacks = { onChange: (): void => this.#schedule() };

  /** Runs until /quit, Ctrl-C or a signal; the room is left before it resolves. */
  async run(showLink: boolean): Promise<void> {
    const { input, output } = this.#terminal;
    const restore = (): void => {
      if (input.isTTY) input.setRawMode(false);
      output.write(leaveScreen);
    };
    process.on('exit', restore);
    this.#running = true;
    output.write(enterScreen);
    emitKeypressEvents(input);
    input.setRawMode(true);
    // The link prompt may have paused the input before the screen took it over.
    input.resume();
    input.on('keypress', (text: string | undefined, key: Key | undefined) => this.#key(text, key ?? {}));
    output.on('resize', () => this.#schedule());
    for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void this.#quit());
    if (showLink && this.#room) await this.#showLink(this.#room);
    this.#schedule();
    await new Promise<void>((resolve) => (this.#finished = resolve));
    this.#running = false;
    input.pause();
    restore();
    process.off('exit', restore);
  }

  #key(text: string | undefined, key: Key): void {
    if (key.ctrl && key.name === 'c') return void this.#quit();
    if (key.ctrl && key.name === 'd' && !this.#editor.text) return void this.#quit();
    if (key.ctrl && key.name === 'l') return this.#schedule();
    const page = Math.max(1, this.#terminal.output.rows - 3);
    if (key.name === 'pageup') return this.#scrollBy(page);
    if (key.name === 'pagedown') return this.#scrollBy(-page);
    const result = this.#editor.press(text, key);
    if (result === 'submit') this.#submit(this.#editor.take());
    else if (result === 'edited' && this.#editor.text && !this.#editor.text.startsWith('/')) {
      void this.#room?.session.typed();
    }
    this.#schedule();
  }

  #scrollBy(lines: number): void {
    this.#scroll = Math.max(0, this.#scroll + lines);
    this.#schedule();
  }

  #submit(raw: string): void {
    const command = raw.trim().toLowerCase();
    if (command === '/quit') return void this.#quit();
    this.#scroll = 0;
    if (command === '/link' && this.#room) return void this.#showLink(this.#room);
    if (this.#room) submitInput(raw, this.#host(this.#room));
    else this.#submitOutside(raw);
  }

  /** Outside a room only /create and /join make sense; the core's parser still checks them. */
  #submitOutside(raw: string): void {
    const input = parseInput(raw);
    if (input.type === 'command' && input.command.name === 'create') return this.#navigation().create();
    if (input.type === 'command' && input.command.name === 'join') {
      return void this.#navigation().join(input.command.target);
    }
    if (input.type !== 'empty') this.#say(input.type === 'error' ? input.message : notInRoom);
  }

  #host(room: OpenedRoom): InputHost {
    return {
      session: room.session,
      navigation: this.#navigation(),
      ttl: () => this.#preferred.ttl,
      setNickname: (name) => this.#preferred.setNickname(name),
      setTtl: (ttl) => this.#preferred.setTtl(ttl),
      extraHelp: terminalHelp,
    };
  }

  #navigation(): Navigation {
    return {
      create: () => void this.#switchTo({ secret: newRoomSecret(), origin: this.#relayOrigin }, true),
      join: async (text) => {
        const resolved = await resolveTarget(text, this.#relayOrigin);
        if (resolved.ok) await this.#switchTo(resolved.target, false);
        else this.#say(resolved.error);
      },
      leave: () => void this.#leave([`You left the room. ${notInRoom}`]),
    };
  }

  /** The person asked for the link: it goes into the room's local history, never to the others. */
  async #showLink(room: OpenedRoom): Promise<void> {
    room.session.note({ type: 'info', text: await linkNotice(room.target) });
  }

  /** Says something in the room's history, or outside a room. */
  #say(text: string): void {
    if (this.#room) this.#room.session.note({ type: 'error', text });
    else this.#outside = [text];
    this.#schedule();
  }

  async #leave(outside: string[]): Promise<void> {
    const room = this.#room;
    this.#room = undefined;
    this.#outside = outside;
    this.#schedule();
    if (room) await leaveRoom(room);
  }

  async #switchTo(target: RoomTarget, showLink: boolean): Promise<void> {
    await this.#leave(['Opening the room…']);
    const opened = await openRoom(target, this.#preferred.name, this.callbacks);
    if (!opened.ok) return this.#say(`Could not open the room: ${opened.outcome.message}.`);
    this.#room = opened.room;
    this.#relayOrigin = target.origin;
    this.#scroll = 0;
    if (showLink) await this.#showLink(opened.room);
    this.#schedule();
  }

  async #quit(): Promise<void> {
    const room = this.#room;
    this.#room = undefined;
    if (room) await leaveRoom(room);
    this.#finished?.();
  }

  /** Redraws once for any number of changes in one turn of the event loop. */
  #schedule(): void {
    if (this.#drawScheduled) return;
    this.#drawScheduled = true;
    setImmediate(() => {
      this.#drawScheduled = false;
      if (this.#running) this.#draw();
    });
  }

  #draw(): void {
    const { output, depth } = this.#terminal;
    const rows = output.rows || 24;
    const columns = output.columns || 80;
    const room = this.#room;
    const speakers = {
      nameOf: (peer: string) => room?.session.nameOf(peer) ?? '',
      selfId: room?.session.selfId,
      depth,
    };
    const shown = room
      ? visibleLines(room.session.history.entries(), rows - 2, columns, this.#scroll, speakers)
      : {
          lines: this.#outside.map((text): Line => [{ text: sanitizeLine(text), style: '' }]),
          above: false,
          scroll: 0,
        };
    this.#scroll = shown.scroll;
    const input = sanitizeLine(this.#editor.text);
    const cursorColumn = textWidth(sanitizeLine(this.#editor.text.slice(0, this.#editor.cursor)));
    output.write(
      renderFrame({
        rows,
        columns,
        conversation: shown.lines,
        status: this.#status(shown.above),
        prompt,
        input,
        cursorColumn,
      }),
    );
  }

  #status(above: boolean): Line {
    const room = this.#room;
    const parts = room ? [connectionLabel[room.session.state], this.#people(room.session)] : ['Not in a room'];
    if (room) {
      const typing = typingText([...room.session.typing.keys()].map((peer) => room.session.nameOf(peer)));
      if (typing) parts.push(typing);
    }
    if (this.#scroll > 0) parts.push(above ? 'scrolled back (PgDn)' : 'top');
    return [
      { text: sanitizeLine(` ${parts.join(' · ')} `).padEnd(this.#terminal.output.columns || 80), style: sgr.inverse },
    ];
  }

  #people(session: RoomSession): string {
    return whoText(
      session.name,
      [...session.peers].map((peer) => session.nameOf(peer)),
    );
  }
}
