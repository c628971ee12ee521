// The set of step types a run may use. The CLI fills it with the built-in types; tests fill it
// with small in-memory ones.
import type { AnyStepType } from './step-type.js';

export class StepRegistry {
  private readonly types = new Map<string, AnyStepType>();

  constructor(types: readonly AnyStepType[] = []) {
    for (const t of types) this.register(t);
  }

  register(type: AnyStepType): this {
    if (this.types.has(type.name)) throw new Error(`step type ${type.name} registered twice`);
    this.types.set(type.name, type);
    return this;
  }

  get(name: string): AnyStepType | undefined {
    return this.types.get(name);
  }

  has(name: string): boolean {
    return this.types.has(name);
  }

  names(): string[] {
    return [...this.types.keys()].sort();
  }

  all(): AnyStepType[] {
    return this.names().map((n) => this.types.get(n)!);
  }
}
