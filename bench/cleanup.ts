// What a benchmark leaves behind is undone when it ends, also when it fails or is interrupted:
// temp folders are removed and child processes stopped, last made first undone.

import { makeTempDir, removeTempDir } from '../test/fixtures/goCommand.ts';

export class Cleanup {
  private readonly steps: Array<{ what: string; undo: () => Promise<void> | void }> = [];

  /** Registers an undo step; steps run in reverse order of registration. */
  defer(what: string, undo: () => Promise<void> | void): void {
    this.steps.push({ what, undo });
  }

  /** A fresh temp folder that is removed at the end. */
  async tempFolder(prefix: string): Promise<string> {
    const folder = await makeTempDir(prefix);
    this.defer(`remove ${folder}`, () => removeTempDir(folder));
    return folder;
  }

  /** Runs every step; a failing step is reported and the others still run. */
  async run(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.undo();
      } catch (err) {
        process.stderr.write(`bench cleanup: ${step.what} failed: ${(err as Error).message}\n`);
      }
    }
  }
}

/**
 * Runs work with a Cleanup that runs when the work ends, however it ends. SIGINT and SIGTERM run it
 * too, then end the process.
 */
export async function withCleanup<T>(work: (cleanup: Cleanup) => Promise<T>): Promise<T> {
  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`bench: ${signal}, cleaning up\n`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(cleanup);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup.run();
  }
}
