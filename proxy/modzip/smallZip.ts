// Whether a zip is small enough to check on the event loop: a thread hop (and, for a new
// proxy, a worker thread's start) then costs more than the check itself.
//
// The rules:
// - the zip file is at most smallZipBytes;
// - its central directory lists at most smallZipEntries entries whose declared uncompressed
//   sizes add up to at most smallZipUncompressedBytes (the check inflates each entry to exactly
//   its declared size, so this bounds the work: a small zip that inflates to much more is a
//   large check and goes to a thread);
// - a zip this reading cannot open or does not understand (no end record, ZIP64, an entry
//   that runs past the directory) is not small: the thread's full check reports what is wrong.

import { open } from 'node:fs/promises';

const smallZipBytes = 1 << 20;
const smallZipEntries = 500;
const smallZipUncompressedBytes = 2 << 20;

const endRecordSignature = 0x06054b50;
const endRecordBytes = 22;
const maxCommentBytes = 0xffff;
const centralHeaderSignature = 0x02014b50;
const centralHeaderBytes = 46;

/** isSmallZip tells whether the zip at zipPath is, by its central directory, cheap to check inline. */
export async function isSmallZip(zipPath: string): Promise<boolean> {
  // A file that cannot be opened is the full check's to report.
  const file = await open(zipPath, 'r').catch(() => undefined);
  if (!file) return false;
  try {
    const { size } = await file.stat();
    if (size > smallZipBytes || size < endRecordBytes) return false;
    const bytes = Buffer.alloc(size);
    await file.read(bytes, 0, size, 0);
    return centralDirectoryIsSmall(bytes);
  } finally {
    await file.close();
  }
}

function centralDirectoryIsSmall(zip: Buffer): boolean {
  const end = findEndRecord(zip);
  if (end === undefined) return false;
  const entries = zip.readUInt16LE(end + 10);
  const directoryBytes = zip.readUInt32LE(end + 12);
  const directoryStart = zip.readUInt32LE(end + 16);
  if (entries === 0xffff || entries > smallZipEntries || directoryStart + directoryBytes > end) return false;
  let at = directoryStart;
  let declared = 0;
  for (let i = 0; i < entries; i++) {
    if (at + centralHeaderBytes > end || zip.readUInt32LE(at) !== centralHeaderSignature) return false;
    const uncompressed = zip.readUInt32LE(at + 24);
    if (uncompressed === 0xffffffff) return false;
    declared += uncompressed;
    if (declared > smallZipUncompressedBytes) return false;
    at += centralHeaderBytes + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return at <= end;
}

/** The offset of the end of central directory record, searched from the end past a comment of any length. */
function findEndRecord(zip: Buffer): number | undefined {
  const last = zip.length - endRecordBytes;
  for (let at = last; at >= Math.max(0, last - maxCommentBytes); at--) {
    if (zip.readUInt32LE(at) === endRecordSignature && at + endRecordBytes + zip.readUInt16LE(at + 20) === zip.length) return at;
  }
  return undefined;
}
