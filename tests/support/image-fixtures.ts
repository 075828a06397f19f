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
