import type { FastifyRequest } from 'fastify';
import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { invalid } from '../errors.js';

/**
 * Request validation for every route: zod checks params, query and body against the route's schema,
 * after one check that no schema states because it holds for all of them. Text must be storable:
 * PostgreSQL refuses the NUL character in text and jsonb, and a lone UTF-16 surrogate is not a
 * character at all (jsonb refuses it too). Refused here, at the door, with the field named, instead
 * of deep in a statement as a 500.
 */

// A lone UTF-16 surrogate is what makes a string not well formed (String.prototype.isWellFormed,
// native and far cheaper than a regular expression: this runs on every string of every body).
const isStorable = (text: string) => !text.includes('\u0000') && text.isWellFormed();

/**
 * The path of the first string (or object key) that cannot be stored, if any. Walked on every
 * request, so a path is only built on the way back from a string found wrong, in reverse.
 */
export function unstorableTextAt(value: unknown): string[] | undefined {
  return unstorableReversed(value)?.reverse();
}

function unstorableReversed(value: unknown): string[] | undefined {
  if (typeof value === 'string') return isStorable(value) ? undefined : [];
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = unstorableReversed(value[index]);
      if (found) return [...found, String(index)];
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!isStorable(key)) return [key];
    const found = unstorableReversed((value as Record<string, unknown>)[key]);
    if (found) return [...found, key];
  }
  return undefined;
}

const partNames: Record<string, string> = { body: '', querystring: 'query: ', params: 'params: ' };

/** Fastify's validator compiler: headers are read by our own code; everything else by zod. */
export function validatorCompiler(route: {
  schema: z.ZodType;
  httpPart?: string;
  method: string;
  url: string;
}) {
  // Headers are documented in the OpenAPI document but read by our own code (auth, idempotency),
  // which checks them; validating every request's whole header object again would only cost time.
  if (route.httpPart === 'headers') return (data: unknown) => ({ value: data });
  const validate = zodValidatorCompiler(route as Parameters<typeof zodValidatorCompiler>[0]);
  const where = partNames[route.httpPart ?? 'body'] ?? '';
  return (data: unknown) => {
    const path = unstorableTextAt(data);
    if (path) {
      const param = path.join('.') || (route.httpPart ?? 'body');
      return {
        error: invalid(
          'request.invalid_text',
          `${where}${param}: text may not contain a NUL character or an unpaired surrogate`,
          param,
        ),
      };
    }
    return validate(data);
  };
}

/**
 * For routes that declare no body (writes) or no query: what is sent anyway is refused, as unknown
 * fields are everywhere else, so a client learns that it was ignored rather than believing it did
 * something. Returns undefined when the route declares both.
 */
export function refuseUndeclaredInput(declares: { body: boolean; query: boolean }) {
  if (declares.body && declares.query) return undefined;
  return async (request: FastifyRequest) => {
    const query = request.query as Record<string, unknown> | undefined;
    if (!declares.query && query && Object.keys(query).length > 0) {
      const keys = Object.keys(query).join(',');
      throw invalid('request.invalid', `query: this request takes no parameters (got ${keys})`, keys);
    }
    const { body } = request;
    if (declares.body || body === undefined || body === null) return;
    const isObject = typeof body === 'object' && !Array.isArray(body);
    if (isObject && Object.keys(body).length === 0) return;
    const keys = isObject ? Object.keys(body).join(',') : 'body';
    throw invalid('request.invalid', 'This request takes no body', keys);
  };
}
