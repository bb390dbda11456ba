/**
 * Coalitions as one row-major 0/1 matrix (row k is coalition k over `columns` features): one byte
 * per feature and sample, where an array per coalition costs a hundred bytes of object besides.
 */
export interface CoalitionMatrix {
  rows: number;
  columns: number;
  data: Uint8Array;
}

/** An all-absent matrix of `rows` coalitions over `columns` features. */
export function createCoalitionMatrix(rows: number, columns: number): CoalitionMatrix {
  return { rows, columns, data: new Uint8Array(rows * columns) };
}

/** Row `k` of `matrix`, a view (writing to it writes the matrix). */
export function coalitionRow(matrix: CoalitionMatrix, k: number): Uint8Array {
  return matrix.data.subarray(k * matrix.columns, (k + 1) * matrix.columns);
}

/** A matrix holding `coalitions` in order. */
export function coalitionMatrixOf(
  coalitions: readonly ArrayLike<number>[],
  columns: number,
): CoalitionMatrix {
  const matrix = createCoalitionMatrix(coalitions.length, columns);
  coalitions.forEach((coalition, k) => {
    matrix.data.set(coalition, k * columns);
  });
  return matrix;
}
