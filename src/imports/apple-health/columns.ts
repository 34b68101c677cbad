/**
 * Growable numeric columns: millions of heart-rate samples and activity records held as typed
 * arrays (8 bytes a number) rather than objects (bench/import: peak RSS).
 */
export class Columns<K extends string> {
  length = 0;
  private data: Record<K, Float64Array>;
  private readonly names: readonly K[];

  constructor(names: readonly K[]) {
    this.names = names;
    this.data = Object.fromEntries(names.map((n) => [n, new Float64Array(1024)])) as Record<K, Float64Array>;
  }

  push(row: Record<K, number>): void {
    if (this.length === this.data[this.names[0]!].length) this.grow();
    for (const n of this.names) this.data[n][this.length] = row[n];
    this.length++;
  }

  col(name: K): Float64Array {
    return this.data[name].subarray(0, this.length);
  }

  private grow(): void {
    for (const n of this.names) {
      const next = new Float64Array(this.data[n].length * 2);
      next.set(this.data[n]);
      this.data[n] = next;
    }
  }
}
