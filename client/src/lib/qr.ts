// The QR code of a link as one SVG path of unit squares, drawn in the page:
// no image request, no HTML string. Loaded when the Share dialog first opens,
// so the encoder is not part of what a room needs to show.
import QRCode from 'qrcode';

/** Four modules of quiet zone on every side, as scanners expect. */
const quietZone = 4;

export interface QrPath {
  path: string;
  size: number;
}

export function qrPath(text: string): QrPath {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  let path = '';
  for (let row = 0; row < modules.size; row++) {
    for (let column = 0; column < modules.size; column++) {
      if (modules.get(row, column)) path += `M${column + quietZone} ${row + quietZone}h1v1h-1z`;
    }
  }
  return { path, size: modules.size + 2 * quietZone };
}
