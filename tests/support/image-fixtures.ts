// Image metadata as cameras and phones write it, for tests that check it is
// removed: a TIFF (EXIF) structure with orientation, camera make, date and a
// GPS position, XMP, and a way to find any of it left in some bytes.
const encoder = new TextEncoder();

export function u16be(value: number): number[] {
  return [value >> 8, value & 0xff];
}

/** A big-endian TIFF with orientation, camera make, a GPS IFD and a date: what a phone writes. */
export function cameraTiff(orientation: number): Uint8Array {
  const make = encoder.encode('PhoneCam\0');
  const date = encoder.encode('2024:05:01 12:00:00\0');
  const entry = (tag: number, type: number, count: number, value: number[]) => [
    ...u16be(tag),
    ...u16be(type),
    0,
    0,
    ...u16be(count),
    ...value,
  ];
  const ifd0At = 8;
  const ifd0Entries = 4;
  const ifd0End = ifd0At + 2 + ifd0Entries * 12 + 4;
  const gpsAt = ifd0End;
  const gpsEnd = gpsAt + 2 + 12 + 4;
  const makeAt = gpsEnd;
  const dateAt = makeAt + make.length;
  const ifd0 = [
    ...u16be(ifd0Entries),
    ...entry(0x010f, 2, make.length, [0, 0, ...u16be(makeAt)]),
    ...entry(0x0112, 3, 1, [...u16be(orientation), 0, 0]),
    ...entry(0x0132, 2, date.length, [0, 0, ...u16be(dateAt)]),
    ...entry(0x8825, 4, 1, [0, 0, ...u16be(gpsAt)]),
    0,
    0,
    0,
    0,
  ];
  const gps = [...u16be(1), ...entry(0x0001, 2, 2, [0x4e, 0, 0, 0]), 0, 0, 0, 0]; // latitude ref "N"
  return new Uint8Array([0x4d, 0x4d, 0, 42, 0, 0, 0, ifd0At, ...ifd0, ...gps, ...make, ...date]);
}

export const xmp = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>48,51.0N</exif:GPSLatitude></x:xmpmeta>';

export function jpegSegment(marker: number, body: Uint8Array): number[] {
  return [0xff, marker, ...u16be(body.length + 2), ...body];
}

/** A JPEG with an EXIF segment (camera, date, GPS, orientation) and XMP inserted after its SOI. */
export function withCameraMetadata(jpeg: Uint8Array, orientation = 1): Uint8Array {
  const exif = jpegSegment(0xe1, new Uint8Array([...encoder.encode('Exif\0\0'), ...cameraTiff(orientation)]));
  const xmpSegment = jpegSegment(0xe1, encoder.encode(`http://ns.adobe.com/xap/1.0/\0${xmp}`));
  return new Uint8Array([...jpeg.subarray(0, 2), ...exif, ...xmpSegment, ...jpeg.subarray(2)]);
}

/** Everything in the bytes that would identify the camera or the place. */
export function metadataLeft(bytes: Uint8Array): string[] {
  const text = new TextDecoder('latin1').decode(bytes);
  return ['PhoneCam', '2024:05:01', 'GPSLatitude', 'xmpmeta', 'IPTC', 'Paris', 'Comment', 'Software'].filter((mark) =>
    text.includes(mark),
  );
}

function ascii(text: string): number[] {
  return [...text].map((char) => char.charCodeAt(0));
}

function u32le(value: number): number[] {
  return [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, value >>> 24];
}

/** One RIFF chunk, padded to an even length as the container requires. */
export function riffChunk(type: string, data: Uint8Array): number[] {
  return [...ascii(type), ...u32le(data.length), ...data, ...(data.length & 1 ? [0] : [])];
}

export const webpFlag = { icc: 0x20, alpha: 0x10, exif: 0x08, xmp: 0x04 };

/**
 * An extended WebP as a phone or editor writes it: VP8X announcing a colour
 * profile, EXIF (camera, date, GPS, orientation) and XMP; the profile; the
 * image data (`image`, odd-length so padding is exercised); then EXIF, XMP
 * and a chunk of a kind no decoder knows. The image data need not decode:
 * removal works on the container and must leave it byte for byte.
 */
export function webpWithMetadata(image: Uint8Array, orientation = 1): Uint8Array {
  const vp8x = new Uint8Array([webpFlag.icc | webpFlag.exif | webpFlag.xmp, 0, 0, 0, 3, 0, 0, 2, 0, 0]);
  const body = [
    ...ascii('WEBP'),
    ...riffChunk('VP8X', vp8x),
    ...riffChunk('ICCP', encoder.encode('colour profile')),
    ...riffChunk('VP8L', image),
    ...riffChunk('EXIF', cameraTiff(orientation)),
    ...riffChunk('XMP ', encoder.encode(xmp)),
    ...riffChunk('SOFT', encoder.encode('Software: PhoneCam editor')),
  ];
  return new Uint8Array([...ascii('RIFF'), ...u32le(body.length), ...body]);
}

/** A GIF extension or image's data as sub-blocks of at most 255 bytes, with their terminator. */
export function gifSubBlocks(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at < data.length; at += 255) {
    const block = data.subarray(at, at + 255);
    out.push(block.length, ...block);
  }
  return [...out, 0];
}

/** The parts of a GIF with a comment and XMP (in its application extension) around a looping animation frame. */
export function gifWithMetadata(): { bytes: Uint8Array; kept: number[][] } {
  const header = [...ascii('GIF89a'), 2, 0, 2, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255]; // 2×2, two colours
  const looping = [0x21, 0xff, ...gifSubBlocks(new Uint8Array([...ascii('NETSCAPE2.0')])).slice(0, -1), 3, 1, 0, 0, 0];
  const comment = [0x21, 0xfe, ...gifSubBlocks(encoder.encode('Comment: PhoneCam, Paris'))];
  const xmpData = new Uint8Array([...ascii('XMP DataXMP'), ...encoder.encode(xmp)]);
  const xmpExtension = [0x21, 0xff, 11, ...xmpData.subarray(0, 11), ...gifSubBlocks(xmpData.subarray(11))];
  const control = [0x21, 0xf9, 4, 0, 10, 0, 0, 0];
  const image = [0x2c, 0, 0, 0, 0, 2, 0, 2, 0, 0, 2, ...gifSubBlocks(new Uint8Array([0x44, 0x01, 0x05]))];
  const trailer = [0x3b];
  const bytes = new Uint8Array([...header, ...looping, ...comment, ...xmpExtension, ...control, ...image, ...trailer]);
  return { bytes, kept: [header, looping, control, image, trailer] };
}
