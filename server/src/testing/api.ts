import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { randomToken } from '../db/ids.js';
import type { GatewayName } from '../db/schema.js';
import { buildApp } from '../http/app.js';
import type { CashfreeConfig, StripeSettings } from '../payments/index.js';
import { TestClock } from '../time/index.js';
import { type Engine, freshDatabase, type TestDatabase } from './databases.js';

/**
 * A Billfold API on a fresh database, called in-process (Fastify's inject): real routing, real
 * validation, real SQL, no sockets.
 */
export interface TestApi {
  app: FastifyInstance;
  database: TestDatabase;
  clock: TestClock;
  call(request: ApiRequest): Promise<LightMyRequestResponse>;
  signUp(overrides?: Partial<SignUpInput>): Promise<Person>;
  signUpOperator(overrides?: Partial<SignUpInput>): Promise<Person>;
  /** Types a test card on the test gateway's hosted page at `url`, as a person would, and submits it. */
  payAtTestGateway(url: string, cardNumber: string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  as?: Person | { apiKey: string } | undefined;
  org?: string | undefined;
  body?: unknown;
  headers?: Record<string, string>;
}

interface SignUpInput {
  email: string;
  password: string;
  name: string;
  country: string;
  postal_code: string;
}

export interface Person {
  userId: string;
  email: string;
  cookie: string;
  csrf: string;
  personalOrgId: string;
}

let counter = 0;
export const uniqueEmail = (label = 'person') =>
  `${label}.${randomToken(8).toLowerCase()}.${++counter}@example.com`;

export async function testApi(
  engine: Engine,
  options: { gateways?: GatewayName[]; stripe?: StripeSettings; cashfree?: CashfreeConfig } = {},
): Promise<TestApi> {
  const database = await freshDatabase(engine);
  const clock = new TestClock('2027-01-15T10:00:00Z');
  // Server errors are printed: a 500 in a test should say why.
  const log = { info() {}, warn() {}, error: (obj: object, msg?: string) => console.error(msg, obj) };
  const app = await buildApp({
    db: database.db,
    clock,
    log,
    config: {
      publicUrl: 'http://billfold.test',
      gateways: options.gateways ?? [],
      stripe: options.stripe,
      cashfree: options.cashfree,
    },
  });

  const call = (request: ApiRequest) => {
    const headers: Record<string, string> = { ...request.headers };
    if (request.as && 'apiKey' in request.as) headers.authorization = `Bearer ${request.as.apiKey}`;
    else if (request.as) {
      headers.cookie = request.as.cookie;
      if (request.method !== 'GET') headers['x-csrf-token'] ??= request.as.csrf;
    }
    if (request.org) headers['billfold-organization'] = request.org;
    return app.inject({
      method: request.method,
      url: request.url,
      headers,
      ...(request.body === undefined ? {} : { payload: request.body as object }),
    });
  };

  // Each person signs up from an address of its own (TEST-NET-3): a file that needs many customers
  // stays under the per-address sign-up limit, which its own tests exercise on purpose.
  let signUps = 0;
  const signUp = async (overrides: Partial<SignUpInput> = {}): Promise<Person> => {
    const input = {
      email: uniqueEmail(),
      password: 'correct horse battery',
      name: 'Test Person',
      country: 'US',
      postal_code: '94107',
      ...overrides,
    };
    signUps++;
    const response = await app.inject({
      method: 'POST',
      url: '/v1/users',
      remoteAddress: `203.0.113.${signUps % 250}`,
      payload: input,
    });
    if (response.statusCode !== 201) throw new Error(`sign-up failed: ${response.body}`);
    const body = response.json();
    const cookie = response.cookies.find((c) => c.name === 'billfold_session');
    if (!cookie) throw new Error('sign-up set no session cookie');
    return {
      userId: body.user.id,
      email: input.email,
      cookie: `billfold_session=${cookie.value}`,
      csrf: body.csrf_token,
      personalOrgId: body.organizations[0].id,
    };
  };

  /** A person who is a platform operator (granted as `billfold operator <email>` would). */
  const signUpOperator = async (overrides: Partial<SignUpInput> = {}): Promise<Person> => {
    const person = await signUp(overrides);
    await database.db
      .updateTable('users')
      .set({ is_operator: true })
      .where('id', '=', person.userId)
      .execute();
    return person;
  };

  const payAtTestGateway = (url: string, cardNumber: string) =>
    app.inject({
      method: 'POST',
      url: new URL(url).pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        number: cardNumber,
        expiry: '12 / 34',
        cvc: '123',
        name: 'Ada',
      }).toString(),
    });

  return {
    app,
    database,
    signUpOperator,
    payAtTestGateway,
    clock,
    call,
    signUp,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}
