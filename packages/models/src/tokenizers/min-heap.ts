/** A binary heap ordered by `before(a, b)` (true when `a` must come out first). */
export interface Heap<T> {
  push(item: T): void;
  /** Removes and returns the first item, or undefined when empty. */
  pop(): T | undefined;
  readonly size: number;
}

/** Creates an empty {@link Heap}; `before` must be a strict order to give a deterministic pop order. */
export function createHeap<T>(before: (a: T, b: T) => boolean): Heap<T> {
  const items: T[] = [];
  const swap = (i: number, j: number) => {
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  };
  return {
    get size() {
      return items.length;
    },
    push(item) {
      items.push(item);
      let i = items.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!before(items[i]!, items[parent]!)) break;
        swap(i, parent);
        i = parent;
      }
    },
    pop() {
      if (items.length === 0) return undefined;
      const top = items[0];
      const last = items.pop()!;
      if (items.length > 0) {
        items[0] = last;
        let i = 0;
        for (;;) {
          const left = 2 * i + 1;
          const right = left + 1;
          let first = i;
          if (left < items.length && before(items[left]!, items[first]!)) first = left;
          if (right < items.length && before(items[right]!, items[first]!)) first = right;
          if (first === i) break;
          swap(i, first);
          i = first;
        }
      }
      return top;
    },
  };
}
