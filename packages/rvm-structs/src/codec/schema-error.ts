import type { z } from 'zod';
import { CodecError } from './codec-error.js';

/** The most issues a message lists; `issues` always holds all of them. */
const MESSAGE_ISSUE_COUNT_MAX = 10;

/**
 * A value failed its zod schema: on `encode` (nothing was encoded) or, with `validateOnRead`, on
 * `decode` (the stored bytes predate the schema, or a bug wrote them). Code SCHEMA_INVALID.
 */
export class SchemaError extends CodecError {
  override readonly name: string = 'SchemaError';
  declare readonly code: 'SCHEMA_INVALID';
  /** zod's issues, unchanged: each has `code`, `path` and `message`. */
  readonly issues: readonly z.core.$ZodIssue[];
  /** Which direction failed. */
  readonly operation: 'encode' | 'decode';

  constructor(issues: readonly z.core.$ZodIssue[], operation: 'encode' | 'decode') {
    super('SCHEMA_INVALID', `value does not match its schema on ${operation}: ${describeIssues(issues)}`, {
      operation,
      issueCount: issues.length,
    });
    this.issues = issues;
    this.operation = operation;
  }
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts: string[] = [];
  for (const issue of issues.slice(0, MESSAGE_ISSUE_COUNT_MAX)) {
    const path = issue.path.length === 0 ? '(root)' : issue.path.map((segment) => String(segment)).join('.');
    parts.push(`${path}: ${issue.message}`);
  }
  if (issues.length > MESSAGE_ISSUE_COUNT_MAX) parts.push(`and ${issues.length - MESSAGE_ISSUE_COUNT_MAX} more`);
  return parts.join('; ');
}
