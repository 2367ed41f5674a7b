/**
 * The text formats of import, export and batch files: JSON lines (one JSON
 * object per line, UTF-8, '\n' between lines; blank lines are skipped).
 *
 *   import / export   {"key":"user:1","value":{"name":"Ada"}}
 *   batch             {"op":"put","key":"user:1","value":{"name":"Ada"}}
 *                     {"op":"del","key":"user:2"}
 *
 * A line is valid if and only if it parses as a JSON object with exactly
 * these fields, a string key and (for a put) a value; anything else is
 * INVALID_LINE with its 1-based line number, so a file is never half
 * understood.
 */
import type { Json } from './json-value.js';
import { KvError } from './kv-error.js';

export interface PutOp {
  readonly op: 'put';
  readonly key: string;
  readonly value: Json;
}

export interface DelOp {
  readonly op: 'del';
  readonly key: string;
}

export type BatchOp = PutOp | DelOp;

/** One export line (without the '\n'). */
export function formatEntry(key: string, value: Json): string {
  return JSON.stringify({ key, value });
}

/** An import line: a put. */
export function parseEntry(line: string, lineNumber: number): PutOp {
  const object = parseObject(line, lineNumber);
  checkFields(object, ['key', 'value'], lineNumber);
  return { op: 'put', key: keyOf(object, lineNumber), value: object.value as Json };
}

/** A batch line: a put or a del. */
export function parseOp(line: string, lineNumber: number): BatchOp {
  const object = parseObject(line, lineNumber);
  if (object.op === 'put') {
    checkFields(object, ['op', 'key', 'value'], lineNumber);
    return { op: 'put', key: keyOf(object, lineNumber), value: object.value as Json };
  }
  if (object.op === 'del') {
    checkFields(object, ['op', 'key'], lineNumber);
    return { op: 'del', key: keyOf(object, lineNumber) };
  }
  throw invalid(lineNumber, `"op" must be "put" or "del"; got ${JSON.stringify(object.op)}`);
}

/** Whether a line holds nothing to parse. */
export function isBlank(line: string): boolean {
  return line.trim() === '';
}

function parseObject(line: string, lineNumber: number): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (e) {
    throw invalid(lineNumber, `it is not JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid(lineNumber, 'it is not a JSON object');
  return parsed as Record<string, unknown>;
}

function checkFields(object: Record<string, unknown>, fields: readonly string[], lineNumber: number): void {
  for (const field of fields) if (!(field in object)) throw invalid(lineNumber, `"${field}" is missing`);
  for (const field of Object.keys(object)) if (!fields.includes(field)) throw invalid(lineNumber, `"${field}" is not a field of this line (expected ${fields.join(', ')})`);
}

function keyOf(object: Record<string, unknown>, lineNumber: number): string {
  if (typeof object.key !== 'string') throw invalid(lineNumber, `"key" must be a string; got ${JSON.stringify(object.key)}`);
  return object.key;
}

function invalid(lineNumber: number, why: string): KvError {
  return new KvError('INVALID_LINE', `Line ${lineNumber}: ${why}. Each line is one JSON object; see the README for the format.`, { lineNumber });
}
