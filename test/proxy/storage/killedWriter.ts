// A writer to be killed half-way, run as its own process by the storage compliance suite:
// it writes a staged file and puts it into the store as an immutable key, printing each step.
// argv[2]: JSON { store: "disk" | "s3", options, key, size, stopWhileStaging }.
import fs from 'node:fs/promises';
import { DiskStorage, type Storage } from '../../../proxy/storage/index.ts';
import { S3Storage, type S3StorageOptions } from '../../../proxy/storage/s3.ts';

type Order = { store: 'disk' | 's3'; options: string | S3StorageOptions; key: string; size: number; stopWhileStaging: boolean };

const order = JSON.parse(process.argv[2]!) as Order;
const storage: Storage = order.store === 'disk' ? new DiskStorage(order.options as string) : new S3Storage(order.options as S3StorageOptions);
await storage.open();
const staged = await storage.stagingFile('killed.zip');
const handle = await fs.open(staged, 'w');
const half = Math.floor(order.size / 2);
await handle.write(Buffer.alloc(half, 1));
if (order.stopWhileStaging) {
  process.stdout.write('half-written\n');
  // Wait, as a slow download would, until the test kills the process.
  setInterval(() => {}, 60_000);
  await new Promise(() => {});
}
await handle.write(Buffer.alloc(order.size - half, 2));
await handle.close();
process.stdout.write('uploading\n');
await storage.putImmutable(order.key, { file: staged });
process.stdout.write('done\n');
await storage.close?.();
