import { Rvm, type Transaction } from '@rvm/core';
import { SimStorage } from '@rvm/core/testing';
import { Heap } from './src/index.js';
const rvm = Rvm.open('/b', { storage: new SimStorage() });
const seg = rvm.map('h', 64 << 20);
let tx = rvm.begin();
const heap = Heap.format(rvm, tx, seg);
tx.commit();
let calls = 0;
const fake = { open: true, id: 1, setRange() { calls++; } } as unknown as Transaction;
const N = 10000; const live = new Float64Array(N);
let x = 12345; const rnd = (n: number) => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return ((x >>> 0) % n); };
for (let k = 0; k < N; k++) live[k] = heap.alloc(fake, 1 + rnd(512));
calls = 0;
const M = 1_000_000;
for (let i = 0; i < M; i++) { const s = rnd(N); heap.free(fake, live[s]!); live[s] = heap.alloc(fake, 1 + rnd(512)); }
console.log('setRange calls/pair', calls / M);
