// What a benchmark reports, and how it is shown: figures, not verdicts. A benchmark never fails
// because a figure misses its target; the table says so and the figure stands.
//
// Side-by-side figures are measured in one run, the two sides alternating round by round; the
// figure is the median of the rounds and the ratio is the ratio of the medians.

import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';

export type Target = {
  /** Which number the target is about: the figure itself or the ratio. */
  on: 'value' | 'ratio';
  /** The figure must be at most (or at least) this. */
  atMost?: number;
  atLeast?: number;
};

export type Measurement = {
  /** What was measured, naming the baseline when there is one. */
  measure: string;
  unit: string;
  /** The proxy's figure (the median when there are rounds). */
  value: number;
  /** Every round's figure, in order. */
  samples?: number[];
  /** The side-by-side baseline's figure, measured the same way in the same run. */
  baseline?: number;
  baselineSamples?: number[];
  /** What the baseline is. */
  baselineName?: string;
  /** value / baseline. */
  ratio?: number;
  target?: Target;
};

export type BenchResult = {
  /** Short name, as given to bench/run.ts. */
  name: string;
  title: string;
  /** How it was measured, in a sentence or two. */
  setup: string;
  measurements: Measurement[];
  /** Anything worth knowing about this run (errors seen, a target missed and why it may be). */
  notes: string[];
  seconds: number;
};

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A measurement from rounds of the proxy and of a baseline: medians and the ratio of medians. */
export function sideBySide(
  fields: { measure: string; unit: string; baselineName: string; target?: Target },
  proxySamples: number[],
  baselineSamples: number[],
): Measurement {
  const value = median(proxySamples);
  const baseline = median(baselineSamples);
  const measurement: Measurement = {
    measure: fields.measure,
    unit: fields.unit,
    value,
    samples: proxySamples,
    baseline,
    baselineSamples,
    baselineName: fields.baselineName,
    ratio: value / baseline,
  };
  if (fields.target) measurement.target = fields.target;
  return measurement;
}

export function targetMet(m: Measurement): boolean | undefined {
  if (!m.target) return undefined;
  const figure = m.target.on === 'ratio' ? m.ratio : m.value;
  if (figure === undefined || !Number.isFinite(figure)) return false;
  if (m.target.atMost !== undefined && figure > m.target.atMost) return false;
  if (m.target.atLeast !== undefined && figure < m.target.atLeast) return false;
  return true;
}

/** Three significant digits, without exponent notation. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function formatTarget(m: Measurement): string {
  if (!m.target) return '';
  const what = m.target.on === 'ratio' ? 'ratio' : m.unit;
  const bounds = [
    m.target.atMost !== undefined ? `≤ ${m.target.atMost}` : '',
    m.target.atLeast !== undefined ? `≥ ${m.target.atLeast}` : '',
  ].filter(Boolean);
  return `${bounds.join(' and ')} ${m.target.on === 'ratio' ? '(ratio)' : what}: ${targetMet(m) ? 'met' : '**missed**'}`;
}

/** The results as one Markdown table, then each benchmark's setup and notes. */
export function markdownReport(results: BenchResult[], machine: MachineDescription): string {
  const lines = [
    `Measured ${machine.date} on ${machine.cpuCount} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}, ${machine.go}.`,
    '',
    '| Benchmark | Measure | gomodproxy | Baseline | Ratio | Target |',
    '|---|---|---:|---:|---:|---|',
  ];
  for (const result of results) {
    for (const m of result.measurements) {
      const baseline = m.baseline === undefined ? '' : `${formatNumber(m.baseline)} ${m.unit} (${m.baselineName})`;
      const ratio = m.ratio === undefined ? '' : formatNumber(m.ratio);
      lines.push(`| ${result.title} | ${m.measure} | ${formatNumber(m.value)} ${m.unit} | ${baseline} | ${ratio} | ${formatTarget(m)} |`);
    }
  }
  lines.push('');
  for (const result of results) {
    lines.push(`- **${result.title}** (\`${result.name}\`, ${result.seconds.toFixed(0)} s): ${result.setup}`);
    for (const note of result.notes) lines.push(`  - ${note}`);
  }
  return lines.join('\n') + '\n';
}

export type MachineDescription = {
  date: string;
  cpuCount: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  go: string;
};

/** Now, to the second, in UTC. */
export function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export function describeMachine(): MachineDescription {
  let go = 'go: not found';
  try {
    go = execFileSync('go', ['version'], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', GOTOOLCHAIN: 'local' } }).trim();
  } catch {
    // The warm-download benchmark says so itself when it needs go.
  }
  const cpuList = cpus();
  return {
    date: timestamp(),
    cpuCount: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown CPU',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.versions.node,
    go,
  };
}

/** Runs one benchmark as a script: prints its table, and exits non-zero only when it could not run. */
export async function runStandalone(run: () => Promise<BenchResult>): Promise<void> {
  try {
    const result = await run();
    process.stdout.write(markdownReport([result], describeMachine()));
  } catch (err) {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}

/** Progress for the person watching, on stderr so that stdout stays the report. */
export function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}
