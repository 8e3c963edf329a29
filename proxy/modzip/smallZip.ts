// Whether a zip is small enough to check on the event loop: a thread hop (and, for a new
// proxy, a worker thread's start) then costs more than the check itself.
//
// The rules:
// - the zip file is at most smallZipBytes;
// - its central directory lists at most smallZipEntries entries whose declared uncompressed
//   sizes add up to at most smallZipUncompressedBytes (the check inflates each entry to exactly
//   its declared size, so this bounds the work: a small zip that inflates to much more is a
//   large check and goes to a thread);
// - a zip yauzl cannot read is not small: the thread's full check reports what is wrong.

import { open } from 'node:fs/promises';
import yauzl from 'yauzl';

const smallZipBytes = 1 << 20;
const smallZipEntries = 500;
const smallZipUncompressedBytes = 2 << 20;

/** isSmallZip tells whether the zip at zipPath is, by its central directory, cheap to check inline. */
export async function isSmallZip(zipPath: string): Promise<boolean> {
  // A file that cannot be opened is the full check's to report.
  const file = await open(zipPath, 'r').catch(() => undefined);
  if (!file) return false;
  let bytes: Buffer;
  try {
    const { size } = await file.stat();
    if (size > smallZipBytes) return false;
    bytes = Buffer.alloc(size);
    await file.read(bytes, 0, size, 0);
  } finally {
    await file.close();
  }
  try {
    const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, decodeStrings: false, validateEntrySizes: false });
    if (zip.entryCount > smallZipEntries) {
      zip.close();
      return false;
    }
    let declared = 0;
    // Leaving the loop early closes the zip (the iterator's return()).
    for await (const entry of zip.eachEntry()) {
      declared += entry.uncompressedSize;
      if (declared > smallZipUncompressedBytes) return false;
    }
    return true;
  } catch {
    return false;
  }
}
