/** The store the settings name: a disk folder, or an S3 bucket (the AWS SDK loaded only then). */
import type { Config } from '../config.ts';
import { readSecret } from '../secrets.ts';
import { createS3Storage, DiskStorage, type Storage } from './index.ts';

export async function createStorage(config: Config): Promise<Storage> {
  const settings = config.storage;
  switch (settings.type) {
    case 'disk':
      return new DiskStorage(settings.path);
    case 's3': {
      const credentials = settings.credentials && {
        accessKeyId: readSecret(settings.credentials.accessKeyId, 'storage.credentials.accessKeyId'),
        secretAccessKey: readSecret(settings.credentials.secretAccessKey, 'storage.credentials.secretAccessKey'),
        ...(settings.credentials.sessionToken ? { sessionToken: readSecret(settings.credentials.sessionToken, 'storage.credentials.sessionToken') } : {}),
      };
      return createS3Storage({
        bucket: settings.bucket,
        prefix: settings.prefix,
        region: settings.region,
        forcePathStyle: settings.forcePathStyle,
        stagingPath: settings.stagingPath,
        ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
        ...(credentials ? { credentials } : {}),
      });
    }
  }
}
