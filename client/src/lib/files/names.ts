// File names as shown and saved: no path, no control characters, and the
// invisible characters that reorder text made visible, so that
// "invoice\u202Efdp.exe" cannot pose as "invoiceexe.pdf".
import { fileLimits } from './envelopes.ts';

/** Bidirectional formatting characters: embeddings, overrides, isolates and marks. */
const bidiControls = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
const controls = /[\u0000-\u001F\u007F-\u009F]/g;
const pathSeparators = /[/\\]/g;
/** Characters Windows refuses in names, replaced so a saved file keeps its name everywhere. */
const reserved = /[<>:"|?*]/g;

export const fallbackFileName = 'file';

/** A name safe to show and to use as the `download` attribute. */
export function safeFileName(name: string): string {
  const cleaned = name
    .normalize('NFC')
    .replace(bidiControls, (char) => `[U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`)
    .replace(controls, '')
    .replace(pathSeparators, '_')
    .replace(reserved, '_')
    .trim()
    .replace(/^\.+/, '');
  const bounded = [...cleaned].slice(0, fileLimits.maxFileNameLength).join('');
  return bounded.length > 0 ? bounded : fallbackFileName;
}

/** "1.5 MB", "320 KB", "12 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
