// Two proxies on one store, measured against each other by warm downloads: the store is filled
// through the second side (the baseline), each side then downloads once to warm, and the sides
// take turns round by round (the first side first in even rounds), so that neither profits from
// going second.

import { progress } from './results.ts';

export async function alternatingWarmRounds<Side extends string>(
  label: string,
  sides: Record<Side, { url: string }>,
  [measured, baseline]: [Side, Side],
  rounds: number,
  download: (url: string) => Promise<number>,
): Promise<Record<Side, number[]>> {
  progress(`${label}: filling the store (cold), then warming each side once`);
  await download(sides[baseline].url);
  await download(sides[measured].url);
  await download(sides[baseline].url);

  const seconds = { [measured]: [], [baseline]: [] } as unknown as Record<Side, number[]>;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [measured, baseline] : [baseline, measured];
    for (const side of order) seconds[side].push(await download(sides[side].url));
    progress(`${label}: round ${round + 1}/${rounds}: ${measured} ${seconds[measured].at(-1)!.toFixed(2)} s, ${baseline} ${seconds[baseline].at(-1)!.toFixed(2)} s`);
  }
  return seconds;
}
