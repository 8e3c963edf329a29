import { formatTime } from '../format.ts';

export function Time({ value }: { value: string | null | undefined }) {
  return value ? <time dateTime={value}>{formatTime(value)}</time> : <span class="muted">never</span>;
}
