/**
 * A table of rows, one column per field: headed columns (scope="col" for screen readers), numbers
 * right-aligned, and a box of its own that scrolls sideways when the table is wider than the screen.
 */
import type { ComponentChildren } from 'preact';

export type Column<T> = {
  heading: string;
  cell: (row: T) => ComponentChildren;
  /** Right-aligned, tabular figures. */
  number?: boolean;
  /** Left out on a phone. */
  wideOnly?: boolean;
};

export function Table<T>({ columns, rows, name }: { columns: Column<T>[]; rows: T[]; name?: string }) {
  const classOf = (column: Column<T>) => [column.number && 'number', column.wideOnly && 'wide-only'].filter(Boolean).join(' ') || undefined;
  return (
    <div class="table-wrap">
      <table class={name}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" class={classOf(column)}>
                {column.heading}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr>
              {columns.map((column) => (
                <td class={classOf(column)}>{column.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
