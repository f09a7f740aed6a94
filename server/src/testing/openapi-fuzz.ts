/**
 * Bad requests generated from the OpenAPI document, for the fuzz test of every route. Deterministic:
 * the same document gives the same requests, so a failure names a request that can be sent again.
 *
 * Each operation gets a plausible request first (real ids for its path, a body sampled from its
 * schema), then one mutation at a time: wrong types, missing and unknown fields, NUL characters and
 * lone surrogates, very long strings, deep nesting, negative and huge numbers, malformed ids and
 * another organization's ids, broken headers, bodies that are not JSON or too large.
 */

/** The subset of JSON Schema that zod writes into the document. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
}

export interface Operation {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The document's path, with {param} placeholders. */
  path: string;
  permission: string | undefined;
  pathParams: Record<string, JsonSchema>;
  queryParams: Record<string, JsonSchema>;
  body: JsonSchema | undefined;
  /** Whether the route takes the usual write headers (Idempotency-Key, X-CSRF-Token). */
  isWrite: boolean;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        description?: string;
        parameters?: Array<{ in: string; name: string; schema: JsonSchema }>;
        requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
      }
    >
  >;
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const params = operation.parameters ?? [];
      const byLocation = (where: string) =>
        Object.fromEntries(params.filter((p) => p.in === where).map((p) => [p.name, p.schema]));
      const upper = method.toUpperCase() as Operation['method'];
      operations.push({
        method: upper,
        path,
        permission: /Permission: `([^`]+)`/.exec(operation.description ?? '')?.[1],
        pathParams: byLocation('path'),
        queryParams: byLocation('query'),
        body: operation.requestBody?.content['application/json'].schema,
        isWrite: upper !== 'GET',
      });
    }
  }
  return operations;
}

/** A request as the test sends it: what it is, and where it goes. */
export interface FuzzRequest {
  /** What is wrong with it, for the failure message. */
  label: string;
  method: Operation['method'];
  url: string;
  /** Headers besides the caller's credentials, which are added when it is sent (they may change). */
  headers: Record<string, string>;
  /** Credential headers this request leaves out. */
  omit: string[];
  /** It names another organization's object: whatever else, it must not succeed. */
  foreign?: boolean;
  /** The raw payload, already serialized (so it can be malformed). */
  payload?: string;
}

/** Values a test supplies: real ids for path parameters, in the caller's and another organization. */
export interface FuzzContext {
  /** A real value for a path parameter, in the caller's organization (undefined: sample one). */
  ownValue(param: string): string | undefined;
  /** The same kind of value from another organization, if one exists. */
  foreignValue(param: string): string | undefined;
  /** Headers that authenticate the caller for this operation. */
  authHeaders(operation: Operation): Record<string, string>;
  /** The id of an organization the caller does not belong to. */
  foreignOrgId: string;
}

const NUL = 'a\u0000b';
const LONE_SURROGATE = 'a\ud800b';
const LONG = 'x'.repeat(10_000);
const deep = (levels: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};
const deepArray = (levels: number): unknown => {
  let value: unknown = [];
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

const typesOf = (schema: JsonSchema): string[] => {
  if (schema.anyOf ?? schema.oneOf) return (schema.anyOf ?? schema.oneOf ?? []).flatMap(typesOf);
  if (Array.isArray(schema.type)) return schema.type;
  if (schema.type) return [schema.type];
  if (schema.enum) return [...new Set(schema.enum.map((value) => (value === null ? 'null' : typeof value)))];
  if (schema.const !== undefined) return [typeof schema.const];
  return [];
};

/** A deterministic example of a string for a pattern: good enough for the patterns in our schemas. */
function stringFor(schema: JsonSchema, name: string): string {
  const pattern = schema.pattern ?? '';
  if (schema.format === 'email' || name.includes('email')) return 'fuzz@example.com';
  if (schema.format === 'uri' || name === 'url') return 'https://example.com/hook';
  if (schema.format === 'date-time' || name.endsWith('_at') || name.endsWith('_time'))
    return '2027-06-01T00:00:00Z';
  if (pattern === '^[A-Z]{2}$' || name === 'country') return 'US';
  if (pattern.startsWith('^[A-Z]{3}') || name === 'currency') return 'USD';
  if (name === 'time_zone') return 'America/New_York';
  if (name === 'postal_code') return '94107';
  if (name === 'percent') return '5';
  if (pattern.includes('\\d') && !pattern.includes('[a-z')) return '1';
  if (pattern.startsWith('^[a-z]')) return 'fuzz_code';
  const min = schema.minLength ?? 1;
  return 'fuzz'.padEnd(Math.max(min, 4), 'z').slice(0, Math.max(min, Math.min(schema.maxLength ?? 8, 8)));
}

/**
 * A plausible value for a schema: the first enum member, the smallest number; an object's required
 * fields (all of them when none is required, as in an update), each a real value when `real` knows
 * one by its name (a plan_id, a user_id).
 */
export function sample(
  schema: JsonSchema,
  name = '',
  real: (field: string) => string | undefined = () => undefined,
): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const choice = schema.anyOf ?? schema.oneOf;
  if (choice) {
    const first = choice.find((option) => option.type !== 'null') ?? choice[0];
    return first ? sample(first, name, real) : null;
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const fields = schema.required?.length ? schema.required : Object.keys(schema.properties ?? {});
      for (const field of fields) {
        const property = schema.properties?.[field];
        if (property) out[field] = real(field) ?? sample(property, field, real);
      }
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sample(schema.items ?? {}, name, real));
    case 'string':
      return stringFor(schema, name);
    case 'integer':
    case 'number':
      return schema.minimum !== undefined && schema.minimum > 1 ? schema.minimum : 1;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return 'fuzz';
  }
}

/** Wrong values for a field of this schema: each a type it does not take, or a value out of range. */
function badValuesFor(schema: JsonSchema): Array<[string, unknown]> {
  const types = typesOf(schema);
  const bad: Array<[string, unknown]> = [];
  if (!types.includes('string')) bad.push(['a string', 'fuzz']);
  if (!types.includes('number') && !types.includes('integer')) bad.push(['a number', 12345]);
  if (!types.includes('boolean')) bad.push(['a boolean', true]);
  if (!types.includes('object')) bad.push(['an object', { a: 1 }]);
  if (!types.includes('array')) bad.push(['an array', ['fuzz']]);
  if (!types.includes('null')) bad.push(['null', null]);
  if (types.includes('string')) {
    bad.push(['a NUL character', NUL], ['a lone surrogate', LONE_SURROGATE], ['10,000 characters', LONG]);
    bad.push(['an empty string', '']);
  }
  if (types.includes('integer') || types.includes('number')) {
    bad.push(['-1', -1], ['-2^63', -(2 ** 63)], ['2^63', 2 ** 63], ['1e300', 1e300], ['0.5', 0.5]);
  }
  bad.push(['deep nesting', deep(500)]);
  return bad;
}

/** Percent-encoded; a lone surrogate, which UTF-8 cannot carry, as the bytes CESU-8 would send. */
const encodeSegment = (value: string) =>
  value
    .split(/([\ud800-\udfff])/)
    .map((part) => (/^[\ud800-\udfff]$/.test(part) ? '%ED%A0%80' : encodeURIComponent(part)))
    .join('');

const encodePath = (template: string, values: Record<string, string>) =>
  template.replace(/\{([^}]+)\}/g, (_match, name: string) => encodeSegment(values[name] ?? 'missing'));

/** At least `minimum` bad requests for one operation. */
export function badRequests(operation: Operation, context: FuzzContext, minimum = 30): FuzzRequest[] {
  const pathValues: Record<string, string> = {};
  for (const [name, schema] of Object.entries(operation.pathParams)) {
    pathValues[name] = context.ownValue(name) ?? String(sample(schema, name));
  }
  const body = operation.body
    ? (sample(operation.body, '', (field) => context.ownValue(field)) as Record<string, unknown>)
    : undefined;
  const auth = context.authHeaders(operation);
  const requests: FuzzRequest[] = [];

  const add = (
    label: string,
    change: {
      path?: Record<string, string>;
      query?: string;
      headers?: Record<string, string | undefined>;
      payload?: string | null;
      contentType?: string;
      foreign?: boolean;
    } = {},
  ) => {
    const url = encodePath(operation.path, { ...pathValues, ...change.path }) + (change.query ?? '');
    const headers: Record<string, string> = {};
    const omit: string[] = [];
    for (const [key, value] of Object.entries(change.headers ?? {})) {
      if (value === undefined) omit.push(key);
      else headers[key] = value;
    }
    const payload =
      change.payload === null ? undefined : (change.payload ?? (body ? JSON.stringify(body) : undefined));
    if (payload !== undefined) headers['content-type'] = change.contentType ?? 'application/json';
    requests.push({
      label: `${operation.method} ${operation.path}: ${label}`,
      method: operation.method,
      url,
      headers,
      omit,
      ...(change.foreign ? { foreign: true } : {}),
      ...(payload !== undefined ? { payload } : {}),
    });
  };
  const withBody = (label: string, value: unknown) => add(label, { payload: JSON.stringify(value) });

  // The body: its shape, then each field in turn.
  if (operation.body && body) {
    withBody('body is an array', [body]);
    withBody('body is a string', 'fuzz');
    withBody('body is a number', 42);
    withBody('body is null', null);
    withBody('body is empty', {});
    withBody('an unknown field', { ...body, fuzz_unknown: 1 });
    withBody('an unknown __proto__ field', JSON.parse(`{"__proto__": {"admin": true}, "a": 1}`));
    withBody('a deeply nested unknown field', { ...body, fuzz_deep: deepArray(2000) });
    add('malformed JSON', { payload: '{"a": ' });
    add('a form body', { payload: 'a=1', contentType: 'application/x-www-form-urlencoded' });
    add('no body', { payload: null });
    for (const field of operation.body.required ?? []) {
      const { [field]: _left, ...rest } = body;
      withBody(`without ${field}`, rest);
    }
    for (const [field, schema] of Object.entries(operation.body.properties ?? {})) {
      const foreign = context.foreignValue(field);
      if (foreign)
        add(`${field} is another organization's`, {
          payload: JSON.stringify({ ...body, [field]: foreign }),
          foreign: true,
        });
      for (const [what, value] of badValuesFor(schema))
        withBody(`${field} is ${what}`, { ...body, [field]: value });
      const nested = schema.items?.properties ? schema.items : schema.properties ? schema : undefined;
      if (nested) {
        const item = sample(nested) as Record<string, unknown>;
        const wrap = (value: unknown) => (schema.items ? [value] : value);
        withBody(`${field} has an unknown field`, { ...body, [field]: wrap({ ...item, fuzz_unknown: 1 }) });
        for (const [inner, innerSchema] of Object.entries(nested.properties ?? {}))
          for (const [what, value] of badValuesFor(innerSchema).slice(0, 4))
            withBody(`${field}.${inner} is ${what}`, { ...body, [field]: wrap({ ...item, [inner]: value }) });
      }
    }
  } else if (operation.isWrite) {
    withBody('a body where none is taken', { fuzz_unknown: 1 });
    withBody('an empty array where no body is taken', []);
    add('malformed JSON where no body is taken', { payload: '{"a": ' });
  }
  if (operation.isWrite)
    add('a body over the limit', { payload: JSON.stringify({ a: 'x'.repeat(200_000) }) });

  // The path: malformed ids, ids of another kind, another organization's ids.
  for (const name of Object.keys(operation.pathParams)) {
    const own = pathValues[name] ?? 'x';
    const prefix = own.includes('_') ? own.slice(0, own.indexOf('_') + 1) : '';
    const malformed: Array<[string, string]> = [
      ['one character', 'x'],
      ['a NUL character', `${own}\u0000`],
      ['a lone surrogate', `${own}\ud800`],
      ['1,000 characters', `${prefix}${'A'.repeat(1000)}`],
      ['only its prefix', prefix || '_'],
      ['a path traversal', '../../v1/organizations'],
      ['an id of another kind', `zz_${own.slice(prefix.length) || 'ABCDEFGHIJKLMNOPQRST'}`],
      ['a well-formed unknown id', `${prefix}ABCDEFGHIJKLMNOPQRST`],
      ['SQL', "' or 1=1 --"],
      ['non-ASCII', `${prefix}éèü漢字`],
    ];
    for (const [what, value] of malformed) add(`${name} is ${what}`, { path: { [name]: value } });
    const foreign = context.foreignValue(name);
    if (foreign) add(`${name} is another organization's`, { path: { [name]: foreign }, foreign: true });
  }

  // The query: unknown parameters, and wrong values for each declared one.
  add('an unknown query parameter', { query: '?fuzz_unknown=1' });
  add('a NUL in an unknown query parameter', { query: '?fuzz=%00' });
  add('a nested query parameter', { query: `?${'a[b]'.repeat(50)}=1` });
  add('a __proto__ query parameter', { query: '?__proto__[admin]=1&constructor[prototype][admin]=1' });
  add('an invalid percent-encoding', { query: '?fuzz=%E0%A4%A' });
  for (const name of Object.keys(operation.queryParams)) {
    for (const [what, value] of [
      ['a NUL character', '%00'],
      ['a lone surrogate (as CESU-8)', '%ED%A0%80'],
      ['10,000 characters', 'x'.repeat(10_000)],
      ['-1', '-1'],
      ['2^64', '18446744073709551616'],
      ['not a number', 'NaN'],
      ['repeated', `1&${name}=2`],
      ['empty', ''],
    ] as const) {
      add(`query ${name} is ${what}`, { query: `?${name}=${value}` });
    }
  }

  // Headers: an organization that is not the caller's, malformed or absent; broken write headers.
  add('another organization in Billfold-Organization', {
    headers: { 'billfold-organization': context.foreignOrgId },
  });
  add('a malformed Billfold-Organization', { headers: { 'billfold-organization': 'not an id' } });
  add('a long Billfold-Organization', { headers: { 'billfold-organization': `org_${'A'.repeat(5000)}` } });
  if (operation.isWrite) {
    add('an Idempotency-Key with spaces', { headers: { 'idempotency-key': 'two words' } });
    add('an Idempotency-Key of 300 characters', { headers: { 'idempotency-key': 'k'.repeat(300) } });
    if (auth.cookie) add('a wrong CSRF token', { headers: { 'x-csrf-token': 'wrong' } });
    if (auth.cookie) add('no CSRF token', { headers: { 'x-csrf-token': undefined } });
  }

  // Pad with unknown query parameters of odd shapes until the route has its minimum.
  const fillers = [
    '%00=%00',
    'a=%ED%A0%80',
    `${'k'.repeat(3000)}=1`,
    'a[]=1&a[]=2',
    'a=1&a=2&a=3',
    '=',
    '&&&',
    '%',
  ];
  for (let i = 0; requests.length < minimum; i++) {
    add(`odd query string ${i}`, { query: `?${fillers[i % fillers.length]}&n${i}=1` });
  }
  return requests;
}
