/** The groups of columns a heatmap has, left to right; a vertical rule separates them. */
export type ColumnGroup = "source" | "prefix" | "steps";

/** What the layout needs to know of a column: its group and the width of its content. */
export interface LayoutColumn {
  group: ColumnGroup;
  /** Display width of the column's content; a cell adds one space on each side. */
  width: number;
}

/** Display width of a row label column of `labelWidth`: the label and one space. */
export function labelColumnWidth(labelWidth: number): number {
  return labelWidth + 1;
}

/**
 * Display width of one block: the row labels, then per run of columns of one
 * group a rule "│" followed by the cells (content plus a space on each side).
 */
export function blockWidth(labelWidth: number, columns: readonly LayoutColumn[]): number {
  let width = labelColumnWidth(labelWidth);
  let group: ColumnGroup | undefined;
  for (const column of columns) {
    if (column.group !== group) width += 1;
    group = column.group;
    width += column.width + 2;
  }
  return width;
}

/**
 * Splits `columns` into blocks, in order, each no wider than `lineWidth` once
 * the row labels are added: a table too wide for the terminal becomes blocks
 * stacked one under the other (each repeating the row labels) instead of lines
 * the terminal would wrap. Greedy: a block takes columns until the next would
 * not fit. Returns the column indices of each block; a single column wider
 * than the line still gets a block of its own (the caller makes sure it fits).
 */
export function packColumns(
  columns: readonly LayoutColumn[],
  labelWidth: number,
  lineWidth: number,
): number[][] {
  const blocks: number[][] = [];
  let current: number[] = [];
  let width = labelColumnWidth(labelWidth);
  let group: ColumnGroup | undefined;
  columns.forEach((column, index) => {
    let added = column.width + 2 + (column.group !== group ? 1 : 0);
    if (current.length > 0 && width + added > lineWidth) {
      blocks.push(current);
      current = [];
      width = labelColumnWidth(labelWidth);
      added = column.width + 3;
    }
    current.push(index);
    width += added;
    group = column.group;
  });
  if (current.length > 0) blocks.push(current);
  return blocks;
}
