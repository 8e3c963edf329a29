import { canonicalVersion, checkModuleVersion } from '../protocol/index.ts';
import { messageOf, ZipCheckError } from './errors.ts';

export type ModuleVersion = { path: string; version: string };

/**
 * A zip is only made or checked for a valid module path at a canonical version, as x/mod's
 * Create and CheckZip require; `action` names what was refused ("create", "check").
 */
export function checkZipModule(mod: ModuleVersion, action: 'create' | 'check'): void {
  const canonical = canonicalVersion(mod.version);
  if (canonical !== mod.version) {
    const should = canonical === '' ? 'not a valid version' : `should be ${JSON.stringify(canonical)}`;
    throw new ZipCheckError(`cannot ${action} zip: version ${JSON.stringify(mod.version)} is not canonical (${should})`);
  }
  try {
    checkModuleVersion(mod.path, mod.version);
  } catch (err) {
    throw new ZipCheckError(`cannot ${action} zip: ${messageOf(err)}`);
  }
}
