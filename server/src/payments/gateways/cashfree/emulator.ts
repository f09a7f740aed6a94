import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type {
  LinkEntity,
  OrderEntity,
  PaymentEntity,
  PlanEntity,
  RefundEntity,
  SubscriptionEntity,
  SubscriptionPaymentEntity,
} from 'cashfree-pg';
import { Temporal } from 'temporal-polyfill';
import { parse as parseYaml } from 'yaml';
import { fromDecimalString, parseCurrencyCode } from '../../../money/index.js';
import type { Clock } from '../../../time/index.js';
import { type CardBehaviour, checkCard, DECLINES } from '../test/test-cards.js';

/**
 * A Cashfree emulator on loopback, for exactly the calls Billfold makes: orders paid on its hosted
 * checkout page (Stripe's test cards stand in for cards; the behaviours are the same), payment links
 * that are paid, cancelled or expire, refunds bounded by what was paid, and webhooks signed as
 * Cashfree signs them. Every request it receives and every response it sends is validated against
 * Cashfree's published OpenAPI document (openapi.yaml beside this file, Apache 2.0): a call that
 * does not match the document fails the test that made it.
 */

type Json = Record<string, unknown>;

/** The OpenAPI document, loaded once: half a second to parse. */
let documentCache: Json | undefined;
function openApi(): Json {
  documentCache ??= parseYaml(readFileSync(resolve(import.meta.dirname, 'openapi.yaml'), 'utf8')) as Json;
  return documentCache;
}

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** Validators for one operation's JSON request body and 200 response, from the document. */
function operationValidators(ajv: Ajv, path: string, method: string) {
  const doc = openApi() as {
    paths: Record<string, Record<string, Json>>;
    components: Record<string, Record<string, Json>>;
  };
  const operation = doc.paths[path]?.[method];
  if (!operation) throw new Error(`Cashfree's document has no ${method.toUpperCase()} ${path}`);
  let requestPointer: string | undefined;
  const body = operation.requestBody as { $ref?: string } | undefined;
  if (body?.$ref) requestPointer = `${body.$ref}/content/application~1json/schema`;
  else if (body)
    requestPointer = `#/${pointer('paths', path, method, 'requestBody', 'content', 'application/json', 'schema')}`;
  const responsePointer = `#/${pointer('paths', path, method, 'responses', '200', 'content', 'application/json', 'schema')}`;
  return {
    request: requestPointer ? ajv.compile({ $ref: `cashfree${requestPointer}` }) : undefined,
    response: ajv.compile({ $ref: `cashfree${responsePointer}` }),
  };
}

export interface CashfreeEmulatorOptions {
  clock: Clock;
  clientId: string;
  clientSecret: string;
  deliver: (body: string, headers: Record<string, string>) => Promise<void>;
}

/**
 * x-webhook-signature as Cashfree documents it: base64(HMAC-SHA256(secret, timestamp + raw body)).
 * Written here on its own, not taken from the adapter, so the adapter's verifier is checked against
 * the scheme rather than against itself.
 */
const cashfreeSignature = (secret: string, timestamp: string, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}${body}`, 'utf8').digest('base64');

const ref = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;

export async function startCashfreeEmulator(options: CashfreeEmulatorOptions) {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(openApi(), 'cashfree');
  const orders = new Map<string, OrderEntity>();
  const sessions = new Map<string, string>();
  const payments = new Map<string, PaymentEntity[]>();
  const refunds = new Map<string, RefundEntity[]>();
  const links = new Map<string, LinkEntity>();
  const plans = new Map<string, PlanEntity>();
  const subscriptions = new Map<string, SubscriptionEntity>();
  const mandateSessions = new Map<string, string>();
  /** The card behind each authorised mandate, and each scheduled debit on it. */
  const mandateCards = new Map<string, CardBehaviour>();
  const debits = new Map<string, SubscriptionPaymentEntity & { schedule: string; announced?: boolean }>();
  const replies = new Map<string, { status: number; body: unknown }>();
  /** Every validation failure seen, so a test can assert there were none. */
  const violations: string[] = [];
  let origin = '';
  const nowMs = () => options.clock.now().epochMilliseconds;

  async function emit(type: string, data: Json) {
    const body = JSON.stringify({ type, event_time: isoOf(nowMs()), data });
    const timestamp = String(Math.floor(nowMs() / 1000));
    await options.deliver(body, {
      'x-webhook-signature': cashfreeSignature(options.clientSecret, timestamp, body),
      'x-webhook-timestamp': timestamp,
      'x-webhook-version': '2025-01-01',
    });
  }

  function expireOrder(order: OrderEntity) {
    if (
      order.order_status === 'ACTIVE' &&
      order.order_expiry_time &&
      Date.parse(order.order_expiry_time) <= nowMs()
    ) {
      order.order_status = 'EXPIRED';
    }
    return order;
  }
  function expireLink(link: LinkEntity) {
    if (
      link.link_status === 'ACTIVE' &&
      link.link_expiry_time &&
      Date.parse(link.link_expiry_time) <= nowMs()
    ) {
      link.link_status = 'EXPIRED';
    }
    return link;
  }

  const refused = (status: number, message: string, type = 'invalid_request_error') =>
    [status, { message, code: type, type }] as const;

  const api: Array<
    [
      string,
      string,
      string,
      (body: Json, args: string[]) => Promise<readonly [number, unknown]> | readonly [number, unknown],
    ]
  > = [
    [
      'POST',
      '/orders',
      '/orders',
      (body) => {
        const id = (body.order_id as string | undefined) ?? ref('order');
        if (orders.has(id))
          return refused(409, 'order with same id is already present', 'order_already_exists');
        const session = ref('session');
        const order: OrderEntity = {
          cf_order_id: String(orders.size + 1000),
          order_id: id,
          entity: 'order',
          order_currency: body.order_currency as string,
          order_amount: body.order_amount as number,
          order_status: 'ACTIVE',
          payment_session_id: session,
          order_expiry_time:
            (body.order_expiry_time as string | undefined) ?? isoOf(nowMs() + 30 * 86_400_000),
          ...(body.order_note ? { order_note: body.order_note as string } : {}),
          created_at: isoOf(nowMs()),
          customer_details: body.customer_details as OrderEntity['customer_details'],
          order_meta: body.order_meta as OrderEntity['order_meta'],
          ...(body.order_tags ? { order_tags: body.order_tags as OrderEntity['order_tags'] } : {}),
        };
        orders.set(id, order);
        sessions.set(session, id);
        return [200, order];
      },
    ],
    [
      'GET',
      '/orders/:id',
      '/orders/{order_id}',
      (_body, [id]) => {
        const order = orders.get(id ?? '');
        return order ? [200, expireOrder(order)] : refused(404, 'order does not exist');
      },
    ],
    [
      'PATCH',
      '/orders/:id',
      '/orders/{order_id}',
      (body, [id]) => {
        const order = orders.get(id ?? '');
        if (!order) return refused(404, 'order does not exist');
        if (body.order_status !== 'TERMINATED') return refused(400, 'order_status should be TERMINATED');
        // Only an order nobody has paid can be terminated; a paid (or expired) one stays as it is.
        if (expireOrder(order).order_status === 'ACTIVE') order.order_status = 'TERMINATED';
        if (order.order_status !== 'TERMINATED')
          return refused(400, `order is ${order.order_status} and cannot be terminated`);
        return [200, order];
      },
    ],
    [
      'GET',
      '/orders/:id/payments',
      '/orders/{order_id}/payments',
      (_body, [id]) =>
        orders.has(id ?? '') ? [200, payments.get(id ?? '') ?? []] : refused(404, 'order does not exist'),
    ],
    [
      'POST',
      '/orders/:id/refunds',
      '/orders/{order_id}/refunds',
      (body, [id]) => {
        const order = orders.get(id ?? '');
        if (order?.order_status !== 'PAID') return refused(400, 'refund can only be made on a paid order');
        const currency = order.order_currency ?? 'INR';
        const done = (refunds.get(order.order_id ?? '') ?? []).reduce(
          (sum, r) => sum + minor(r.refund_amount, currency),
          0n,
        );
        const asked = minor(body.refund_amount as number, currency);
        if (asked <= 0n || asked > minor(order.order_amount, currency) - done) {
          return refused(400, 'refund amount is greater than the refundable amount');
        }
        const refund: RefundEntity = {
          cf_payment_id: payments.get(order.order_id ?? '')?.[0]?.cf_payment_id ?? '0',
          cf_refund_id: ref('cfrefund'),
          order_id: order.order_id ?? '',
          refund_id: body.refund_id as string,
          entity: 'refund',
          refund_amount: body.refund_amount as number,
          refund_currency: order.order_currency ?? 'INR',
          refund_note: (body.refund_note as string | undefined) ?? '',
          refund_status: 'SUCCESS',
          refund_type: 'MERCHANT_INITIATED',
          created_at: isoOf(nowMs()),
          processed_at: isoOf(nowMs()),
        };
        refunds.set(order.order_id ?? '', [...(refunds.get(order.order_id ?? '') ?? []), refund]);
        return [200, refund];
      },
    ],
    [
      'POST',
      '/links',
      '/links',
      (body) => {
        const id = body.link_id as string;
        if (links.has(id)) return refused(409, 'link with same id is already present', 'link_already_exists');
        const link: LinkEntity = {
          cf_link_id: String(links.size + 5000),
          link_id: id,
          link_status: 'ACTIVE',
          link_currency: body.link_currency as string,
          link_amount: body.link_amount as number,
          link_amount_paid: 0,
          link_partial_payments: false,
          link_purpose: (body.link_purpose as string | undefined) ?? '',
          link_created_at: isoOf(nowMs()),
          customer_details: body.customer_details as LinkEntity['customer_details'],
          link_expiry_time: (body.link_expiry_time as string | undefined) ?? isoOf(nowMs() + 30 * 86_400_000),
          link_notes: (body.link_notes as LinkEntity['link_notes']) ?? {},
          link_url: `${origin}/link/${id}`,
        };
        links.set(id, link);
        return [200, link];
      },
    ],
    [
      'GET',
      '/links/:id',
      '/links/{link_id}',
      (_body, [id]) => {
        const link = links.get(id ?? '');
        return link ? [200, expireLink(link)] : refused(404, 'link does not exist');
      },
    ],
    [
      'POST',
      '/links/:id/cancel',
      '/links/{link_id}/cancel',
      (_body, [id]) => {
        const link = links.get(id ?? '');
        if (!link) return refused(404, 'link does not exist');
        if (expireLink(link).link_status !== 'ACTIVE')
          return refused(400, 'only an active link can be cancelled');
        link.link_status = 'CANCELLED';
        return [200, link];
      },
    ],
    [
      'GET',
      '/plans/:id',
      '/plans/{plan_id}',
      (_body, [id]) => {
        const plan = plans.get(id ?? '');
        return plan ? [200, plan] : refused(404, 'plan does not exist');
      },
    ],
    [
      'POST',
      '/plans',
      '/plans',
      (body) => {
        const id = body.plan_id as string;
        if (plans.has(id)) return refused(409, 'plan already exists', 'plan_already_exists');
        const plan: PlanEntity = {
          plan_id: id,
          plan_name: body.plan_name as string,
          plan_type: body.plan_type as string,
          plan_currency: (body.plan_currency as string | undefined) ?? 'INR',
          plan_max_amount: body.plan_max_amount as number,
          plan_status: 'ACTIVE',
          ...(body.plan_note ? { plan_note: body.plan_note as string } : {}),
        };
        plans.set(id, plan);
        return [200, plan];
      },
    ],
    [
      'POST',
      '/subscriptions',
      '/subscriptions',
      (body) => {
        const id = body.subscription_id as string;
        if (subscriptions.has(id))
          return refused(409, 'subscription already exists', 'subscription_already_exists');
        const plan = plans.get((body.plan_details as { plan_id?: string } | undefined)?.plan_id ?? '');
        if (!plan) return refused(400, 'plan does not exist');
        const session = ref('subs_session');
        const subscription: SubscriptionEntity = {
          cf_subscription_id: String(subscriptions.size + 9000),
          subscription_id: id,
          subscription_status: 'INITIALIZED',
          subscription_session_id: session,
          customer_details: body.customer_details as SubscriptionEntity['customer_details'],
          plan_details: plan,
          subscription_meta: body.subscription_meta as SubscriptionEntity['subscription_meta'],
          ...(body.subscription_expiry_time
            ? { subscription_expiry_time: body.subscription_expiry_time as string }
            : {}),
        };
        subscriptions.set(id, subscription);
        mandateSessions.set(session, id);
        return [200, subscription];
      },
    ],
    [
      'GET',
      '/subscriptions/:id',
      '/subscriptions/{subscription_id}',
      (_body, [id]) => {
        const subscription = subscriptions.get(id ?? '');
        return subscription ? [200, subscription] : refused(404, 'subscription does not exist');
      },
    ],
    [
      'POST',
      '/subscriptions/pay',
      '/subscriptions/pay',
      (body) => {
        const subscription = subscriptions.get(body.subscription_id as string);
        if (subscription?.subscription_status !== 'ACTIVE') return refused(400, 'subscription is not active');
        const id = body.payment_id as string;
        if (debits.has(id)) return refused(409, 'payment already exists', 'payment_already_exists');
        const debit = {
          payment_id: id,
          cf_payment_id: ref('cfsubpay'),
          subscription_id: subscription.subscription_id ?? '',
          payment_amount: body.payment_amount as number,
          payment_status: 'INITIALIZED',
          payment_type: 'CHARGE',
          payment_initiated_date: isoOf(nowMs()),
          schedule: (body.payment_schedule_date as string | undefined) ?? isoOf(nowMs()),
        };
        debits.set(id, debit);
        const { schedule: _schedule, ...answer } = debit;
        return [200, answer];
      },
    ],
    [
      'GET',
      '/subscriptions/:id/payments/:id',
      '/subscriptions/{subscription_id}/payments/{payment_id}',
      async (_body, [subscriptionId, paymentId]) => {
        const debit = debits.get(paymentId ?? '');
        if (!debit || debit.subscription_id !== subscriptionId) return refused(404, 'payment does not exist');
        await settle(debit);
        const { schedule: _schedule, announced: _announced, ...answer } = debit;
        return [200, answer];
      },
    ],
    [
      'POST',
      '/subscriptions/:id/manage',
      '/subscriptions/{subscription_id}/manage',
      (body, [id]) => {
        const subscription = subscriptions.get(id ?? '');
        if (!subscription) return refused(404, 'subscription does not exist');
        if (body.action === 'CANCEL') subscription.subscription_status = 'CANCELLED';
        return [200, subscription];
      },
    ],
  ];

  /** A debit runs once its schedule (after the pre-debit notice) has passed, by the mandate's card. */
  async function settle(debit: SubscriptionPaymentEntity & { schedule: string; announced?: boolean }) {
    if (debit.payment_status !== 'INITIALIZED' || Date.parse(debit.schedule) > nowMs()) return;
    const behaviour = mandateCards.get(debit.subscription_id ?? '') ?? 'succeeds';
    const ok = behaviour === 'succeeds' || behaviour === 'requires_authentication';
    debit.payment_status = ok ? 'SUCCESS' : 'FAILED';
    if (!ok) debit.failure_details = { failure_reason: DECLINES.declined.message };
    if (debit.announced) return;
    debit.announced = true;
    await emit(ok ? 'SUBSCRIPTION_PAYMENT_SUCCESS' : 'SUBSCRIPTION_PAYMENT_FAILED', {
      subscription_id: debit.subscription_id,
      payment_id: debit.payment_id,
      payment_status: debit.payment_status,
      payment_amount: debit.payment_amount,
    });
  }
  const validators = new Map(
    api.map(([method, , documentPath]) => [
      `${method} ${documentPath}`,
      operationValidators(ajv, documentPath, method.toLowerCase()),
    ]),
  );

  function check(validate: ValidateFunction | undefined, value: unknown, what: string) {
    if (!validate || validate(value)) return;
    violations.push(`${what}: ${ajv.errorsText(validate.errors)}`);
  }

  /** Pays an order (or a link) with a card typed on the emulator's page. */
  async function payOrder(order: OrderEntity, form: Record<string, string>) {
    const today = options.clock.now().toZonedDateTimeISO('UTC');
    const checked = checkCard(
      { number: form.number ?? '', expiry: form.expiry ?? '', cvc: form.cvc ?? '' },
      today,
    );
    if (!checked.ok) return checked.message;
    const id = order.order_id ?? '';
    const failed =
      checked.card.behaviour !== 'succeeds' && checked.card.behaviour !== 'requires_authentication';
    const payment: PaymentEntity = {
      cf_payment_id: ref('cfpay'),
      order_id: id,
      entity: 'payment',
      payment_currency: order.order_currency ?? 'INR',
      order_amount: order.order_amount ?? 0,
      payment_amount: order.order_amount ?? 0,
      payment_status: failed ? 'FAILED' : 'SUCCESS',
      payment_message: failed
        ? DECLINES[checked.card.behaviour === 'insufficient_funds' ? 'insufficient_funds' : 'declined']
            .message
        : 'Transaction successful',
      payment_time: isoOf(nowMs()),
      payment_group: 'credit_card',
      is_captured: !failed,
    };
    payments.set(id, [...(payments.get(id) ?? []), payment]);
    if (failed) {
      await emit('PAYMENT_FAILED_WEBHOOK', {
        order: { order_id: id, order_amount: order.order_amount },
        payment,
      });
      return payment.payment_message ?? 'Declined';
    }
    order.order_status = 'PAID';
    await emit('PAYMENT_SUCCESS_WEBHOOK', {
      order: { order_id: id, order_amount: order.order_amount, order_tags: order.order_tags },
      payment,
    });
    return undefined;
  }

  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const raw = await readBody(request);
    const url = new URL(request.url ?? '/', origin);
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    const html = (status: number, content: string) => {
      response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      response.end(
        `<!doctype html><html><head><title>Cashfree emulator</title></head><body>${content}</body></html>`,
      );
    };
    const form = (message = '') =>
      `<h1>Cashfree emulator</h1>${message ? `<p role="alert">${message}</p>` : ''}<form method="post">
<label>Card number <input name="number"></label><label>Expiry <input name="expiry"></label><label>CVC <input name="cvc"></label><button>Pay</button></form>`;
    try {
      const mandate = /^\/checkout\/mandate\/(subs_session_[0-9a-f]+)$/.exec(url.pathname);
      if (mandate) {
        const subscription = subscriptions.get(mandateSessions.get(mandate[1] ?? '') ?? '');
        if (!subscription) return html(404, '<p>No such mandate.</p>');
        if (subscription.subscription_status !== 'INITIALIZED') {
          return html(410, `<p>This mandate is ${subscription.subscription_status}.</p>`);
        }
        if (request.method === 'GET') return html(200, form());
        const fields = Object.fromEntries(new URLSearchParams(raw));
        const today = options.clock.now().toZonedDateTimeISO('UTC');
        const checked = checkCard(
          { number: fields.number ?? '', expiry: fields.expiry ?? '', cvc: fields.cvc ?? '' },
          today,
        );
        if (!checked.ok) return html(402, form(checked.message));
        subscription.subscription_status = 'ACTIVE';
        subscription.authorisation_details = {
          authorization_amount: 1,
          authorization_amount_refund: true,
          authorization_status: 'ACTIVE',
          authorization_time: isoOf(nowMs()),
          payment_group: 'card',
        };
        mandateCards.set(subscription.subscription_id ?? '', checked.card.behaviour);
        await emit('SUBSCRIPTION_STATUS_CHANGED', {
          subscription_id: subscription.subscription_id,
          subscription_status: 'ACTIVE',
        });
        response.writeHead(303, { location: subscription.subscription_meta?.return_url ?? '/' });
        return response.end();
      }
      const checkout = /^\/checkout\/(session_[0-9a-f]+)$/.exec(url.pathname);
      if (checkout) {
        const order = orders.get(sessions.get(checkout[1] ?? '') ?? '');
        if (!order) return html(404, '<p>No such session.</p>');
        if (expireOrder(order).order_status !== 'ACTIVE')
          return html(410, `<p>This order is ${order.order_status}.</p>`);
        if (request.method === 'GET') return html(200, form());
        const failure = await payOrder(order, Object.fromEntries(new URLSearchParams(raw)));
        if (failure) return html(402, form(failure));
        response.writeHead(303, { location: order.order_meta?.return_url ?? '/' });
        return response.end();
      }
      const linkPage = /^\/link\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
      if (linkPage) {
        const link = links.get(linkPage[1] ?? '');
        if (!link) return html(404, '<p>No such link.</p>');
        if (expireLink(link).link_status !== 'ACTIVE')
          return html(410, `<p>This link is ${link.link_status}.</p>`);
        if (request.method === 'GET') return html(200, form());
        const order: OrderEntity = {
          order_id: ref('linkorder'),
          order_amount: link.link_amount,
          order_currency: link.link_currency,
          order_status: 'ACTIVE',
        };
        orders.set(order.order_id ?? '', order);
        const failure = await payOrder(order, Object.fromEntries(new URLSearchParams(raw)));
        if (failure) return html(402, form(failure));
        link.link_status = 'PAID';
        link.link_amount_paid = link.link_amount;
        await emit('PAYMENT_LINK_EVENT', { ...link });
        return html(200, '<p>Payment received.</p>');
      }

      if (
        request.headers['x-client-id'] !== options.clientId ||
        request.headers['x-client-secret'] !== options.clientSecret
      ) {
        return send(401, {
          message: 'authentication Failed',
          code: 'request_failed',
          type: 'authentication_error',
        });
      }
      if (!request.headers['x-api-version'])
        return send(400, {
          message: 'x-api-version missing',
          code: 'x-api-version_missing',
          type: 'invalid_request_error',
        });
      const path = url.pathname.replace(/^\/pg/, '');
      for (const [method, template, documentPath, handler] of api) {
        if (method !== request.method) continue;
        const match = new RegExp(`^${template.replaceAll(':id', '([A-Za-z0-9_-]+)')}$`).exec(path);
        if (!match) continue;
        const key = request.headers['x-idempotency-key'];
        const replayKey = typeof key === 'string' ? `${method} ${path} ${key}` : undefined;
        const replay = replayKey ? replies.get(replayKey) : undefined;
        if (replay) return send(replay.status, replay.body);
        const body = raw ? (JSON.parse(raw) as Json) : {};
        const validator = validators.get(`${method} ${documentPath}`);
        check(validator?.request, body, `request ${method} ${documentPath}`);
        const [status, value] = await handler(body, match.slice(1));
        if (status === 200) check(validator?.response, value, `response ${method} ${documentPath}`);
        if (replayKey) replies.set(replayKey, { status, body: value });
        return send(status, value);
      }
      return send(404, {
        message: `no route ${request.method} ${url.pathname}`,
        code: 'not_found',
        type: 'invalid_request_error',
      });
    } catch (error) {
      return send(500, { message: String(error), code: 'internal', type: 'api_error' });
    }
  });

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    basePath: `${origin}/pg`,
    checkoutUrl: (session: string) => `${origin}/checkout/${session}`,
    state: { orders, payments, refunds, links, plans, subscriptions, debits },
    violations,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Cashfree's JSON amounts (major units) as exact minor units. */
const minor = (amount: number | undefined, currency: string) =>
  fromDecimalString(String(amount ?? 0), parseCurrencyCode(currency), 'half_up').amount;

/** ISO 8601 in UTC, seconds precision, as Cashfree writes times. */
function isoOf(ms: number): string {
  return Temporal.Instant.fromEpochMilliseconds(ms).toString({ smallestUnit: 'second' });
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
