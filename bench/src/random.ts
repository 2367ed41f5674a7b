import { assert } from './assert.js';

/**
 * A small deterministic generator (mulberry32). Every subject of a workload is fed the same
 * pre-generated inputs from one seed, so side-by-side rows did exactly the same operations.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    assert(Number.isInteger(seed), 'seed is an integer');
    this.state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** A uniform integer in [0, bound). */
  nextIndex(bound: number): number {
    assert(Number.isInteger(bound) && bound > 0, 'bound is a positive integer');
    assert(bound <= 0x1_0000_0000, 'bound fits 32 bits');
    return Math.floor(this.nextFloat() * bound);
  }
}

/** A stable 32-bit seed for a name, so each workload gets its own but reproducible inputs. */
export function seedOf(name: string, base: number): number {
  let hash = base >>> 0;
  for (let index = 0; index < name.length; index++) {
    hash = Math.imul(hash ^ name.charCodeAt(index), 0x01000193) >>> 0;
  }
  return hash;
}
