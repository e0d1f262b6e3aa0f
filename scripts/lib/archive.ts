/**
 * The two archive formats a release needs, written here so a build depends on no tar or
 * zip program and gives the same bytes for the same input: a one-file .tar.gz (POSIX
 * ustar) and a one-file .zip (deflate).
 */
import { deflateRawSync } from "node:zlib";

/** A gzip'd ustar archive holding one executable named `name`. */
export function tarGz(name: string, data: Uint8Array, mtimeSeconds: number): Uint8Array {
  const header = new Uint8Array(512);
  const put = (offset: number, length: number, text: string) =>
    header.set(new TextEncoder().encode(text).subarray(0, length), offset);
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, "0") + "\0";
  put(0, 100, name);
  put(100, 8, octal(0o755, 8));
  put(108, 8, octal(0, 8));
  put(116, 8, octal(0, 8));
  put(124, 12, octal(data.length, 12));
  put(136, 12, octal(mtimeSeconds, 12));
  put(148, 8, "        ");
  put(156, 1, "0");
  put(257, 6, "ustar\0");
  put(263, 2, "00");
  put(265, 32, "root");
  put(297, 32, "root");
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  put(148, 8, checksum.toString(8).padStart(6, "0") + "\0 ");
  const padding = (512 - (data.length % 512)) % 512;
  const tar = new Uint8Array(512 + data.length + padding + 1024);
  tar.set(header, 0);
  tar.set(data, 512);
  return Bun.gzipSync(tar, { level: 9 });
}

/** A zip archive holding one file `name` (deflated), as Windows' Explorer and Expand-Archive read it. */
export function zip(name: string, data: Uint8Array, mtime: Date): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const compressed = deflateRawSync(data, { level: 9 });
  const crc = Bun.hash.crc32(data);
  const dosTime = (mtime.getUTCHours() << 11) | (mtime.getUTCMinutes() << 5) | Math.floor(mtime.getUTCSeconds() / 2);
  const dosDate = ((mtime.getUTCFullYear() - 1980) << 9) | ((mtime.getUTCMonth() + 1) << 5) | mtime.getUTCDate();

  // What the local header and the central directory's record both say of the file, from the
  // "version needed" field on (APPNOTE 4.3.7 and 4.3.12): version 2.0, no flags, deflate,
  // the time and date, the CRC, both sizes, the name's length.
  const describeFile = (view: DataView, at: number) => {
    view.setUint16(at, 20, true);
    view.setUint16(at + 4, 8, true);
    view.setUint16(at + 6, dosTime, true);
    view.setUint16(at + 8, dosDate, true);
    view.setUint32(at + 10, crc, true);
    view.setUint32(at + 14, compressed.length, true);
    view.setUint32(at + 18, data.length, true);
    view.setUint16(at + 22, nameBytes.length, true);
  };
  const local = new DataView(new ArrayBuffer(30));
  local.setUint32(0, 0x04034b50, true);
  describeFile(local, 4);

  const central = new DataView(new ArrayBuffer(46));
  central.setUint32(0, 0x02014b50, true);
  central.setUint16(4, 20, true); // version made by
  describeFile(central, 6);
  central.setUint32(42, 0, true);

  const centralOffset = 30 + nameBytes.length + compressed.length;
  const centralSize = 46 + nameBytes.length;
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, 1, true);
  end.setUint16(10, 1, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, centralOffset, true);

  return Buffer.concat([
    new Uint8Array(local.buffer),
    nameBytes,
    compressed,
    new Uint8Array(central.buffer),
    nameBytes,
    new Uint8Array(end.buffer),
  ]);
}

export function sha256(data: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}
