import { defineConfig } from 'vitest/config';

// The tests that run a tool test/ensureTools.sh builds (MinIO, etcd and the Kubernetes programs,
// helm, govulncheck, the image and Chromium). `npm test` (test/run.sh) runs the others while the
// tools build; one of those that asks for a tool fails at once, naming this list.
const toolTests = [
  'test/cluster/**/*.test.ts',
  'test/node/**/*.test.ts',
  'test/helm/**/*.test.ts',
  'test/image/**/*.test.ts',
  'test/vuln/**/*.test.ts',
  'test/web/**/*.test.ts',
  'test/e2e/sharedBucket.test.ts',
  'test/e2e/auditBucket.test.ts',
  'test/proxy/storage/compliance.test.ts',
  'test/proxy/commands/cleanup.test.ts',
];

export default defineConfig({
  test: {
    // End-to-end tests start servers and run the go command: give them room.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // expect.poll waits for what a server or a browser does next; one second (vitest's default) is
    // too short when two test files share two cores.
    expect: { poll: { timeout: 30_000 } },
    // The machines have two cores; files that each run several go commands
    // compete for them, so keep the pool small.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'self-contained', include: ['test/**/*.test.ts'], exclude: toolTests } },
      { extends: true, test: { name: 'tools', include: toolTests } },
    ],
  },
});
