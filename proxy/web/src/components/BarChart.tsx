/**
 * A bar chart drawn as SVG: one bar per time bucket, the highest value and the first and last
 * bucket's time beside it, each bar's value in its tooltip. The same figures follow as a table
 * (collapsed) for screen readers and for copying.
 */
import { formatTime } from '../format.ts';
import { Table } from './Table.tsx';

export type Bar = { time: string; value: number; label: string };

const WIDTH = 640;
const HEIGHT = 160;

export function BarChart({ title, bars, valueHeading, max: fixedMax, unit = '' }: { title: string; bars: Bar[]; valueHeading: string; max?: number; unit?: string }) {
  const max = fixedMax ?? Math.max(1, ...bars.map((b) => b.value));
  const step = bars.length ? WIDTH / bars.length : WIDTH;
  const gap = step > 4 ? Math.min(2, step / 4) : 0;
  const total = bars.reduce((sum, b) => sum + b.value, 0);
  const summary = bars.length ? `${title}: ${bars.length} buckets from ${formatTime(bars[0]!.time)} to ${formatTime(bars.at(-1)!.time)}, highest ${max}${unit}` : `${title}: no data`;
  // The drawing stretches to the width; its labels are text beside it, so they stay legible on a phone.
  return (
    <figure class="chart">
      <div class="plot">
        <div class="y-axis" aria-hidden="true">
          <span>
            {max}
            {unit}
          </span>
          <span>0</span>
        </div>
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary} preserveAspectRatio="none">
          {bars.map((bar, index) => {
            const height = (Math.max(0, bar.value) / max) * HEIGHT;
            return (
              <rect class="bar" data-time={bar.time} data-value={bar.value} x={index * step + gap / 2} y={HEIGHT - height} width={Math.max(0.5, step - gap)} height={height}>
                <title>{`${formatTime(bar.time)}: ${bar.label}`}</title>
              </rect>
            );
          })}
        </svg>
      </div>
      {bars.length > 0 && (
        <div class="x-axis" aria-hidden="true">
          <span>{formatTime(bars[0]!.time)}</span>
          <span>{formatTime(bars.at(-1)!.time)}</span>
        </div>
      )}
      <figcaption>
        {title}
        {unit === '' && ` (total ${total})`}
      </figcaption>
      <details>
        <summary>As a table</summary>
        <Table
          rows={bars}
          columns={[
            { heading: 'Time', cell: (bar) => formatTime(bar.time) },
            { heading: valueHeading, number: true, cell: (bar) => bar.label },
          ]}
        />
      </details>
    </figure>
  );
}
