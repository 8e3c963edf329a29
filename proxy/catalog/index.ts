export { CatalogUpkeep, type CatalogUpkeepOptions } from './catalogUpkeep.ts';
export { compareSortKeys, ModuleCatalog, type CatalogModule, type CatalogVersion, type SearchMatch } from './moduleCatalog.ts';
export { loadModuleDetails, readVersionDetails, type VersionDetails } from './versionDetails.ts';
export { listZipFiles, type ZipFileEntry, type ZipListing } from './zipListing.ts';
