/**
 * Several INSERTs of one change sent as one statement: each part is a data-modifying CTE, all
 * sharing one parameter list. PostgreSQL runs every part exactly once, whether or not the final
 * SELECT reads it; foreign keys and the ledger's statement triggers are checked at the end of
 * the statement, when every part has written its rows.
 */
export class WriteBatch {
  readonly parameters: unknown[] = [];
  private readonly parts: string[] = [];

  /** The placeholder of a new parameter. */
  param(value: unknown): string {
    this.parameters.push(value);
    return `$${this.parameters.length}`;
  }

  add(sql: string): void {
    this.parts.push(sql);
  }

  get sql(): string {
    if (this.parts.length === 0) throw new Error('a write batch needs at least one part');
    return `WITH ${this.parts.map((part, i) => `part_${i} AS (${part})`).join(',\n')}\nSELECT 1`;
  }
}
