/**
 * Typed fixed layouts: every field type round-trips, refused values write
 * nothing, writes declare their bytes (RVM's checkWrites is on in these
 * stores), need a transaction, abort and survive crashes like any write.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineLayout, field, Store } from '../src/index.js';
import { codeOf, DIR, errorOf, openStore, snapshot } from './btree-support.js';

const Account = defineLayout({
  id: field.u32(),
  small: field.i8(),
  flags: field.u8(),
  port: field.u16(),
  delta: field.i16(),
  offsetBy: field.i32(),
  balance: field.i64(),
  total: field.u64(),
  ratio: field.f32(),
  exact: field.f64(),
  active: field.bool(),
  tag: field.bytes(4),
  owner: field.string(12),
  next: field.ref(),
});

const sample = {
  id: 4_000_000_000,
  small: -100,
  flags: 255,
  port: 65535,
  delta: -32768,
  offsetBy: -2_000_000_000,
  balance: -(2n ** 62n),
  total: 2n ** 64n - 1n,
  ratio: 0.5,
  exact: Math.PI,
  active: true,
  tag: new Uint8Array([1, 0, 2, 255]),
  owner: 'Ada Lovelace',
  next: 0,
};

describe('layouts', () => {
  it('packs fields in order and reports their offsets', () => {
    expect(Account.size).toBe(4 + 1 + 1 + 2 + 2 + 4 + 8 + 8 + 4 + 8 + 1 + 4 + 14 + 4);
    expect(Account.fields.map((f) => [f.name, f.offset])).toEqual([
      ['id', 0], ['small', 4], ['flags', 5], ['port', 6], ['delta', 8], ['offsetBy', 10], ['balance', 14], ['total', 22],
      ['ratio', 30], ['exact', 34], ['active', 42], ['tag', 43], ['owner', 47], ['next', 61],
    ]);
  });

  it('round-trips every field type through alloc, read, accessors, get and set; types are inferred', () => {
    const { store } = openStore();
    const ctx = store.ctx;
    const offset = store.transaction(() => Account.alloc(ctx, sample));
    expect(Account.read(ctx, offset)).toEqual(sample);
    const account = Account.at(ctx, offset);
    expectTypeOf(account.balance).toEqualTypeOf<bigint>();
    expectTypeOf(account.owner).toEqualTypeOf<string>();
    expectTypeOf(account.tag).toEqualTypeOf<Uint8Array>();
    expectTypeOf(Account.get(ctx, offset, 'active')).toEqualTypeOf<boolean>();
    store.transaction(() => {
      account.balance += 5n;
      account.owner = 'Ångstr ✓';
      account.active = false;
      Account.set(ctx, offset, 'ratio', 1.1);
      account.next = offset;
    });
    expect(account.balance).toBe(-(2n ** 62n) + 5n);
    expect(account.owner).toBe('Ångstr ✓');
    expect(Account.get(ctx, offset, 'active')).toBe(false);
    expect(account.ratio).toBeCloseTo(1.1, 6);
    expect(account.next).toBe(offset);
    expect(JSON.parse(JSON.stringify({ ...Account.read(ctx, offset), balance: 0, total: 0 }))).toMatchObject({ owner: 'Ångstr ✓' });
  });

  it('write() sets several fields at once and leaves the others', () => {
    const { store } = openStore();
    const ctx = store.ctx;
    const offset = store.transaction(() => Account.alloc(ctx, sample));
    store.transaction(() => Account.write(ctx, offset, { port: 80, owner: 'x', exact: 2 }));
    expect(Account.read(ctx, offset)).toEqual({ ...sample, port: 80, owner: 'x', exact: 2 });
  });

  it('refuses values out of range, of the wrong type or too long, writing nothing', () => {
    const { store } = openStore();
    const ctx = store.ctx;
    const offset = store.transaction(() => Account.alloc(ctx, sample));
    const account = Account.at(ctx, offset);
    const before = snapshot(store);
    const refusals: Array<[() => void, string]> = [
      [() => { account.id = -1; }, 'INVALID_ARGUMENT'],
      [() => { account.small = 128; }, 'INVALID_ARGUMENT'],
      [() => { account.port = 1.5; }, 'INVALID_ARGUMENT'],
      [() => { account.balance = 2n ** 63n; }, 'INVALID_ARGUMENT'],
      [() => { account.total = -1n; }, 'INVALID_ARGUMENT'],
      [() => { (account as { exact: unknown }).exact = '1'; }, 'INVALID_ARGUMENT'],
      [() => { (account as { active: unknown }).active = 1; }, 'INVALID_ARGUMENT'],
      [() => { account.tag = new Uint8Array(5); }, 'VALUE_TOO_LARGE'],
      [() => { account.tag = new Uint8Array(3); }, 'INVALID_ARGUMENT'],
      [() => { account.owner = 'x'.repeat(13); }, 'VALUE_TOO_LARGE'],
      [() => { account.owner = 'é'.repeat(7); }, 'VALUE_TOO_LARGE'],
      [() => { account.owner = '\ud800'; }, 'INVALID_ARGUMENT'],
      [() => { account.next = 12; }, 'INVALID_ARGUMENT'],
      [() => { account.next = 2304 + 4096; }, 'INVALID_ARGUMENT'],
      [() => Account.write(ctx, offset, { port: 1, delta: 99999 }), 'INVALID_ARGUMENT'],
    ];
    store.transaction(() => {
      for (const [write, code] of refusals) expect(codeOf(write)).toBe(code);
    });
    expect(Buffer.compare(before, store.segment.bytes)).toBe(0);
    const error = errorOf(() => store.transaction(() => { account.owner = 'x'.repeat(20); }));
    expect(error.details).toMatchObject({ field: 'owner', size: 20, sizeMax: 12 });
  });

  it('a write with no transaction open throws NO_TRANSACTION and changes nothing', () => {
    const { store } = openStore();
    const ctx = store.ctx;
    const offset = store.transaction(() => Account.alloc(ctx, sample));
    const account = Account.at(ctx, offset);
    const before = snapshot(store);
    expect(codeOf(() => { account.id = 1; })).toBe('NO_TRANSACTION');
    expect(codeOf(() => Account.write(ctx, offset, { id: 1 }))).toBe('NO_TRANSACTION');
    expect(codeOf(() => Account.alloc(ctx))).toBe('NO_TRANSACTION');
    expect(Buffer.compare(before, store.segment.bytes)).toBe(0);
  });

  it('writes abort with their transaction and survive a crash once committed', () => {
    const { store, storage } = openStore();
    const ctx = store.ctx;
    const offset = store.transaction(() => Account.alloc(ctx, sample));
    const account = Account.at(ctx, offset);
    expect(() => store.transaction(() => {
      account.id = 1;
      account.owner = 'gone';
      throw new Error('abort');
    })).toThrow('abort');
    expect(Account.read(ctx, offset)).toEqual(sample);
    store.transaction(() => { account.id = 2; });
    storage.crash(3, 'dropAll');
    const again = Store.open(DIR, { storage });
    expect(Account.read(again.ctx, offset)).toEqual({ ...sample, id: 2 });
  });

  it('refuses reserved field names, non-fields, empty layouts and bad capacities', () => {
    expect(codeOf(() => defineLayout({ offset: field.u8() }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => defineLayout({ a: 5 as never }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => defineLayout({}))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => field.string(0))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => field.bytes(70_000))).toBe('INVALID_ARGUMENT');
    const { store } = openStore();
    expect(codeOf(() => Account.at(store.ctx, store.segment.size - 10))).toBe('INVALID_ARGUMENT');
  });
});
