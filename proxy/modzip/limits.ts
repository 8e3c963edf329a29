// Size limits of module zips, as golang.org/x/mod/zip sets them. The go
// command refuses a zip beyond any of them, so a proxy must not serve one.

export type ZipLimits = {
  /** Size of the zip file itself (x/mod MaxZipFile). */
  maxZipBytes: number;
  /** Sum of the uncompressed sizes of all entries (also MaxZipFile). */
  maxUncompressedBytes: number;
  /** Uncompressed size of the root go.mod (MaxGoMod). */
  maxGoModBytes: number;
  /** Uncompressed size of the root LICENSE (MaxLICENSE). */
  maxLicenseBytes: number;
};

const MiB = 1 << 20;

export const defaultZipLimits: Readonly<ZipLimits> = Object.freeze({
  maxZipBytes: 500 * MiB,
  maxUncompressedBytes: 500 * MiB,
  maxGoModBytes: 16 * MiB,
  maxLicenseBytes: 16 * MiB,
});

/** formatBytes writes a size the way the limits read: "500 MiB", "1.5 MiB (1572864 bytes)", "700 bytes". */
export function formatBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB (${n} bytes)`;
  return `${n} bytes`;
}
