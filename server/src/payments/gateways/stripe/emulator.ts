import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import qs from 'qs';
import type Stripe from 'stripe';
import type { Clock } from '../../../time/index.js';
import { type CardBehaviour, checkCard, DECLINES } from '../test/test-cards.js';

/**
 * A Stripe emulator on loopback, for exactly the calls Billfold makes, with real state: checkout
 * sessions that complete (on its own hosted page, with Stripe's test cards) or expire, payment
 * links that take payments and can be deactivated, off-session PaymentIntents that succeed, decline
 * or need authentication by card, refunds bounded by what was paid, and webhooks signed with
 * Stripe's scheme. Its objects start from Stripe's published fixtures and are typed by the SDK.
 *
 * Where Billfold depends on Stripe's rules, it keeps them: only the exact secret key is let in; an
 * idempotency key replays its first response, is refused with other parameters and conflicts while
 * its first request is still running; a PaymentIntent is confirmed at creation only with `confirm`.
 * It signs its webhooks with its own few lines, not Billfold's verifier's code, so a mistake in
 * what the verifier signs cannot agree with itself here.
 */

type Fixtures = { resources: Record<string, unknown> };
// The objects Billfold meets, taken from Stripe's published API fixtures (stripe/openapi, MIT).
const fixtures = JSON.parse(readFileSync(resolve(import.meta.dirname, 'fixtures.json'), 'utf8')) as Fixtures;
const base = <T>(name: string): T => structuredClone(fixtures.resources[name]) as T;

export interface StripeEmulatorOptions {
  clock: Clock;
  /** The account's secret key: any other key is refused, as Stripe does. */
  secretKey: string;
  webhookSecret: string;
  /** Where events go; tests may hand them to an in-process app instead of HTTP. */
  deliver: (body: string, signature: string) => Promise<void>;
}

interface Card {
  method: Stripe.PaymentMethod;
  behaviour: CardBehaviour;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/** Stripe-Signature as Stripe documents it: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>. */
function stripeSignature(secret: string, timestamp: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export async function startStripeEmulator(options: StripeEmulatorOptions) {
  const customers = new Map<string, Stripe.Customer>();
  const sessions = new Map<string, Stripe.Checkout.Session>();
  const intents = new Map<string, Stripe.PaymentIntent>();
  const setups = new Map<string, Stripe.SetupIntent>();
  const cards = new Map<string, Card>();
  const refunds = new Map<string, Stripe.Refund>();
  const prices = new Map<string, Stripe.Price>();
  const links = new Map<string, Stripe.PaymentLink>();
  /**
   * Idempotency, per account as at Stripe: each key remembers the request it was first used with
   * (method, path and parameters) and, once answered, the response, replayed for the same request.
   */
  const replies = new Map<string, { request: string; reply?: { status: number; body: unknown } }>();
  let origin = '';
  const now = () => Math.floor(options.clock.now().epochMilliseconds / 1000);

  async function emit(type: string, object: unknown) {
    const event = { ...base<Stripe.Event>('event'), id: id('evt'), type, created: now(), data: { object } };
    const body = JSON.stringify(event);
    await options.deliver(body, stripeSignature(options.webhookSecret, now(), body));
  }

  function expire(session: Stripe.Checkout.Session) {
    if (session.status === 'open' && session.expires_at <= now()) {
      session.status = 'expired';
      void emit('checkout.session.expired', session);
    }
    return session;
  }

  function view(session: Stripe.Checkout.Session, expand: string[]): Stripe.Checkout.Session {
    const out = structuredClone(expire(session));
    if (expand.includes('payment_intent') && typeof out.payment_intent === 'string') {
      const intent = structuredClone(intents.get(out.payment_intent));
      if (
        intent &&
        expand.includes('payment_intent.payment_method') &&
        typeof intent.payment_method === 'string'
      ) {
        intent.payment_method = cards.get(intent.payment_method)?.method ?? intent.payment_method;
      }
      out.payment_intent = intent ?? out.payment_intent;
    }
    if (expand.includes('setup_intent.payment_method') && typeof out.setup_intent === 'string') {
      const setup = structuredClone(setups.get(out.setup_intent));
      if (setup && typeof setup.payment_method === 'string') {
        setup.payment_method = cards.get(setup.payment_method)?.method ?? setup.payment_method;
      }
      out.setup_intent = setup ?? out.setup_intent;
    }
    return out;
  }

  function newIntent(params: {
    amount: number;
    currency: string;
    customer: string | null;
    method: string;
    status: Stripe.PaymentIntent.Status;
    metadata: Record<string, string>;
    error?: { code: string; message: string; decline_code?: string };
  }): Stripe.PaymentIntent {
    const intent: Stripe.PaymentIntent = {
      ...base<Stripe.PaymentIntent>('payment_intent'),
      id: id('pi'),
      amount: params.amount,
      amount_received: params.status === 'succeeded' ? params.amount : 0,
      currency: params.currency,
      customer: params.customer,
      payment_method: params.method,
      status: params.status,
      metadata: params.metadata,
      created: now(),
      last_payment_error: params.error
        ? ({
            type: 'card_error',
            code: params.error.code,
            message: params.error.message,
          } as Stripe.PaymentIntent.LastPaymentError)
        : null,
    };
    intents.set(intent.id, intent);
    return intent;
  }

  function saveCard(form: Record<string, string>, customer: string | null): Card | { error: string } {
    const checked = checkCard(
      { number: form.number ?? '', expiry: form.expiry ?? '', cvc: form.cvc ?? '' },
      today(options.clock),
    );
    if (!checked.ok) return { error: checked.message };
    const method: Stripe.PaymentMethod = {
      ...base<Stripe.PaymentMethod>('payment_method'),
      id: id('pm'),
      type: 'card',
      customer,
      created: now(),
      card: {
        ...(base<Stripe.PaymentMethod>('payment_method').card as Stripe.PaymentMethod.Card),
        brand: checked.card.brand,
        last4: checked.last4,
        exp_month: checked.expMonth,
        exp_year: checked.expYear,
      },
    };
    const card = { method, behaviour: checked.card.behaviour };
    cards.set(method.id, card);
    return card;
  }

  /** Pays a session (or a link's session) with a typed card; the page's answer. */
  async function pay(session: Stripe.Checkout.Session, form: Record<string, string>, approved = false) {
    const card = saveCard(form, typeof session.customer === 'string' ? session.customer : null);
    if ('error' in card) return { error: card.error };
    if (card.behaviour === 'requires_authentication' && !approved) {
      pendingCards.set(session.id, form);
      return { authenticate: true };
    }
    if (session.mode === 'setup') {
      const setup: Stripe.SetupIntent = {
        ...base<Stripe.SetupIntent>('setup_intent'),
        id: id('seti'),
        status: 'succeeded',
        payment_method: card.method.id,
        customer: session.customer,
        created: now(),
      };
      setups.set(setup.id, setup);
      session.setup_intent = setup.id;
    } else {
      if (
        card.behaviour === 'declined' ||
        card.behaviour === 'insufficient_funds' ||
        card.behaviour === 'fails_off_session'
      ) {
        const decline = DECLINES[card.behaviour === 'insufficient_funds' ? 'insufficient_funds' : 'declined'];
        const failed = newIntent({
          amount: session.amount_total ?? 0,
          currency: session.currency ?? 'usd',
          customer: typeof session.customer === 'string' ? session.customer : null,
          method: card.method.id,
          status: 'requires_payment_method',
          metadata: session.metadata ?? {},
          error: decline,
        });
        await emit('payment_intent.payment_failed', failed);
        return { error: decline.message };
      }
      const intent = newIntent({
        amount: session.amount_total ?? 0,
        currency: session.currency ?? 'usd',
        customer: typeof session.customer === 'string' ? session.customer : null,
        method: card.method.id,
        status: 'succeeded',
        metadata: session.metadata ?? {},
      });
      session.payment_intent = intent.id;
      session.payment_status = 'paid';
    }
    session.status = 'complete';
    await emit('checkout.session.completed', session);
    return { done: true };
  }

  function sessionFor(params: Record<string, unknown>): Stripe.Checkout.Session {
    const items = (params.line_items as Array<Record<string, unknown>> | undefined) ?? [];
    const first = items[0] ?? {};
    const priceData = first.price_data as { currency?: string; unit_amount?: string } | undefined;
    const price = typeof first.price === 'string' ? prices.get(first.price) : undefined;
    const amount = price?.unit_amount ?? Number.parseInt(priceData?.unit_amount ?? '0', 10);
    const sessionId = id('cs_test');
    return {
      ...base<Stripe.Checkout.Session>('checkout.session'),
      id: sessionId,
      mode: (params.mode as Stripe.Checkout.Session.Mode) ?? 'payment',
      status: 'open',
      payment_status: 'unpaid',
      customer: (params.customer as string) ?? null,
      currency: (
        priceData?.currency ??
        price?.currency ??
        (params.currency as string) ??
        'usd'
      ).toLowerCase(),
      amount_total: amount,
      amount_subtotal: amount,
      success_url: ((params.success_url as string) ?? '').replace('{CHECKOUT_SESSION_ID}', sessionId),
      cancel_url: (params.cancel_url as string) ?? null,
      expires_at: Number.parseInt((params.expires_at as string) ?? `${now() + 86_400}`, 10),
      metadata: (params.metadata as Record<string, string>) ?? {},
      payment_intent: null,
      setup_intent: null,
      payment_link: null,
      created: now(),
      url: `${origin}/pay/${sessionId}`,
    };
  }

  const api: Record<
    string,
    (params: Record<string, unknown>, path: string[]) => Promise<[number, unknown]> | [number, unknown]
  > = {
    'POST /v1/customers': (params) => {
      const customer: Stripe.Customer = {
        ...base<Stripe.Customer>('customer'),
        id: id('cus'),
        name: (params.name as string) ?? null,
        email: (params.email as string) ?? null,
        metadata: (params.metadata as Record<string, string>) ?? {},
        created: now(),
      };
      customers.set(customer.id, customer);
      return [200, customer];
    },
    'POST /v1/checkout/sessions': (params) => {
      if (typeof params.customer === 'string' && !customers.has(params.customer)) {
        return [400, invalidRequest(`No such customer: '${params.customer}'`, 'customer')];
      }
      const session = sessionFor(params);
      sessions.set(session.id, session);
      return [200, session];
    },
    'GET /v1/checkout/sessions/:id': (params, [sessionId]) => {
      const session = sessions.get(sessionId ?? '');
      if (!session) return [404, invalidRequest(`No such checkout.session: '${sessionId}'`, 'id')];
      return [200, view(session, (params.expand as string[]) ?? [])];
    },
    'POST /v1/checkout/sessions/:id/expire': async (_params, [sessionId]) => {
      const session = sessions.get(sessionId ?? '');
      if (!session) return [404, invalidRequest(`No such checkout.session: '${sessionId}'`, 'id')];
      if (expire(session).status !== 'open') {
        return [
          400,
          invalidRequest(
            `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
            null,
          ),
        ];
      }
      session.status = 'expired';
      await emit('checkout.session.expired', session);
      return [200, view(session, [])];
    },
    'GET /v1/checkout/sessions': (params) => {
      const expand = ((params.expand as string[]) ?? []).map((e) => e.replace(/^data\./, ''));
      const data = [...sessions.values()]
        .filter((s) => !params.payment_link || s.payment_link === params.payment_link)
        .filter((s) => !params.status || s.status === params.status)
        .map((s) => view(s, expand));
      return [
        200,
        {
          object: 'list',
          data: data.slice(0, Number(params.limit ?? 10)),
          has_more: false,
          url: '/v1/checkout/sessions',
        },
      ];
    },
    'POST /v1/payment_intents': async (params) => {
      const card = cards.get(params.payment_method as string);
      if (!card) return [400, invalidRequest('No such PaymentMethod', 'payment_method')];
      if (card.method.customer !== params.customer) {
        return [400, invalidRequest('The PaymentMethod is not attached to this Customer', 'payment_method')];
      }
      const amount = Number.parseInt(params.amount as string, 10);
      const base = {
        amount,
        currency: params.currency as string,
        customer: (params.customer as string) ?? null,
        method: card.method.id,
        metadata: (params.metadata as Record<string, string>) ?? {},
      };
      if (params.confirm !== 'true') {
        // Unconfirmed, nothing is charged: the intent waits for a confirmation.
        if (params.off_session !== undefined) {
          return [400, invalidRequest('off_session can only be used when confirm=true', 'off_session')];
        }
        return [200, newIntent({ ...base, status: 'requires_confirmation' })];
      }
      if (card.behaviour === 'requires_authentication' && params.error_on_requires_action !== 'true') {
        // Without error_on_requires_action, a card that needs 3-D Secure leaves the intent waiting.
        return [200, newIntent({ ...base, status: 'requires_action' })];
      }
      if (card.behaviour === 'succeeds') {
        const intent = newIntent({ ...base, status: 'succeeded' });
        await emit('payment_intent.succeeded', intent);
        return [200, intent];
      }
      const auth = card.behaviour === 'requires_authentication';
      const decline = DECLINES[card.behaviour === 'insufficient_funds' ? 'insufficient_funds' : 'declined'];
      const error = auth
        ? { code: 'authentication_required', message: 'This payment requires authentication.' }
        : { ...decline, decline_code: decline.code === 'card_declined' ? 'generic_decline' : decline.code };
      const intent = newIntent({ ...base, status: 'requires_payment_method', error });
      await emit('payment_intent.payment_failed', intent);
      return [402, { error: { type: 'card_error', ...error, payment_intent: intent } }];
    },
    'POST /v1/payment_methods/:id/detach': (_params, [methodId]) => {
      const card = cards.get(methodId ?? '');
      if (!card) return [404, invalidRequest(`No such PaymentMethod: '${methodId}'`, 'id')];
      card.method.customer = null;
      return [200, card.method];
    },
    'POST /v1/refunds': (params) => {
      const intent = intents.get(params.payment_intent as string);
      if (intent?.status !== 'succeeded') {
        return [
          400,
          invalidRequest('The PaymentIntent has no successful charge to refund', 'payment_intent'),
        ];
      }
      const done = [...refunds.values()]
        .filter((r) => r.payment_intent === intent.id)
        .reduce((s, r) => s + r.amount, 0);
      const amount = params.amount ? Number.parseInt(params.amount as string, 10) : intent.amount - done;
      if (amount <= 0 || amount > intent.amount - done) {
        return [
          400,
          invalidRequest(`Refund amount ($${amount / 100}) is greater than unrefunded amount`, 'amount'),
        ];
      }
      const refund: Stripe.Refund = {
        ...base<Stripe.Refund>('refund'),
        id: id('re'),
        amount,
        currency: intent.currency,
        payment_intent: intent.id,
        status: 'succeeded',
        metadata: (params.metadata as Record<string, string>) ?? {},
        created: now(),
      };
      refunds.set(refund.id, refund);
      return [200, refund];
    },
    'POST /v1/prices': (params) => {
      const price: Stripe.Price = {
        ...base<Stripe.Price>('price'),
        id: id('price'),
        currency: params.currency as string,
        unit_amount: Number.parseInt(params.unit_amount as string, 10),
        created: now(),
      };
      prices.set(price.id, price);
      return [200, price];
    },
    'POST /v1/payment_links': (params) => {
      const linkId = id('plink');
      const link: Stripe.PaymentLink = {
        ...base<Stripe.PaymentLink>('payment_link'),
        id: linkId,
        active: true,
        metadata: (params.metadata as Record<string, string>) ?? {},
        url: `${origin}/link/${linkId}`,
      };
      const items = (params.line_items as Array<{ price?: string }>) ?? [];
      linkPrices.set(linkId, items[0]?.price ?? '');
      links.set(linkId, link);
      return [200, link];
    },
    'GET /v1/payment_links/:id': (_params, [linkId]) => {
      const link = links.get(linkId ?? '');
      return link ? [200, link] : [404, invalidRequest(`No such payment_link: '${linkId}'`, 'id')];
    },
    'POST /v1/payment_links/:id': (params, [linkId]) => {
      const link = links.get(linkId ?? '');
      if (!link) return [404, invalidRequest(`No such payment_link: '${linkId}'`, 'id')];
      if (params.active !== undefined) link.active = params.active === 'true';
      return [200, link];
    },
  };
  const linkPrices = new Map<string, string>();
  /** Cards waiting for the authentication step, by session. */
  const pendingCards = new Map<string, Record<string, string>>();

  function route(method: string, path: string) {
    for (const [pattern, handler] of Object.entries(api)) {
      const [verb, template = ''] = pattern.split(' ');
      if (verb !== method) continue;
      const want = template.split('/');
      const got = path.split('/');
      if (want.length !== got.length) continue;
      const args: string[] = [];
      const matches = want.every((part, i) => {
        if (!part.startsWith(':')) return part === got[i];
        args.push(got[i] ?? '');
        return true;
      });
      if (matches) {
        return { handler, args };
      }
    }
    return undefined;
  }

  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', origin);
    const send = (status: number, value: unknown, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type });
      response.end(type === 'application/json' ? JSON.stringify(value) : String(value));
    };
    try {
      // The hosted pages: checkout sessions and payment links.
      const page = /^\/(pay|link)\/([A-Za-z0-9_]+)$/.exec(url.pathname);
      if (page)
        return await hostedPage(
          page[1] as 'pay' | 'link',
          page[2] ?? '',
          request.method ?? 'GET',
          body,
          response,
        );

      const secretKey = secretKeyOf(request);
      if (!secretKey) {
        return send(401, {
          error: {
            type: 'invalid_request_error',
            message:
              'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth.',
          },
        });
      }
      if (secretKey !== options.secretKey) {
        return send(401, {
          error: {
            type: 'invalid_request_error',
            message: `Invalid API Key provided: ${redactKey(secretKey)}`,
          },
        });
      }
      const params = request.method === 'GET' ? qs.parse(url.search.slice(1)) : qs.parse(body);
      const found = route(request.method ?? 'GET', url.pathname);
      if (!found)
        return send(
          404,
          invalidRequest(`Unrecognized request URL (${request.method}: ${url.pathname})`, null),
        );
      const key = request.headers['idempotency-key'];
      if (typeof key !== 'string' || request.method === 'GET') {
        const [status, value] = await found.handler(params as Record<string, unknown>, found.args);
        return send(status, value);
      }
      const fingerprint = createHash('sha256')
        .update(`${request.method} ${url.pathname}\n${body}`)
        .digest('hex');
      const seen = replies.get(key);
      if (seen && seen.request !== fingerprint) {
        return send(400, {
          error: {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          },
        });
      }
      if (seen && !seen.reply) {
        return send(409, {
          error: {
            type: 'idempotency_error',
            message:
              'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through). Please try again later.',
          },
        });
      }
      if (seen?.reply) return send(seen.reply.status, seen.reply.body);
      const entry: { request: string; reply?: { status: number; body: unknown } } = { request: fingerprint };
      replies.set(key, entry);
      try {
        const [status, value] = await found.handler(params as Record<string, unknown>, found.args);
        entry.reply = { status, body: value };
        return send(status, value);
      } catch (error) {
        // Stripe keeps no result for a request that never ran to the end: the key may be retried.
        replies.delete(key);
        throw error;
      }
    } catch (error) {
      return send(500, { error: { type: 'api_error', message: String(error) } });
    }
  });

  async function hostedPage(
    kind: 'pay' | 'link',
    ref: string,
    method: string,
    body: string,
    response: ServerResponse,
  ) {
    const html = (status: number, content: string) => {
      response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      response.end(
        `<!doctype html><html><head><title>Stripe emulator</title></head><body>${content}</body></html>`,
      );
    };
    let session: Stripe.Checkout.Session | undefined;
    if (kind === 'link') {
      const link = links.get(ref);
      if (!link) return html(404, '<p>No such link.</p>');
      if (!link.active) return html(410, '<p>This link is no longer active.</p>');
      const price = prices.get(linkPrices.get(ref) ?? '');
      session = sessionFor({ mode: 'payment', line_items: [{ price: price?.id }], metadata: link.metadata });
      session.payment_link = link.id;
    } else {
      session = sessions.get(ref);
      if (!session) return html(404, '<p>No such checkout.</p>');
      expire(session);
      if (session.status !== 'open') return html(410, `<p>This checkout is ${session.status}.</p>`);
    }
    const form = (message = '') =>
      `<h1>Stripe emulator</h1><p>${(session?.amount_total ?? 0) / 100} ${session?.currency}</p>${message ? `<p role="alert">${message}</p>` : ''}
<form method="post"><label>Card number <input name="number"></label><label>Expiry <input name="expiry"></label>
<label>CVC <input name="cvc"></label><button>Pay</button></form>`;
    if (method === 'GET') return html(200, form());
    const posted = qs.parse(body) as Record<string, string>;
    const approved = posted.approve === 'yes';
    const fields = approved ? (pendingCards.get(session.id) ?? posted) : posted;
    if (kind === 'link') sessions.set(session.id, session);
    const outcome = await pay(session, fields, approved);
    if ('error' in outcome) return html(402, form(outcome.error ?? ''));
    if ('authenticate' in outcome) {
      return html(
        200,
        '<p>Authenticate</p><form method="post"><input type="hidden" name="approve" value="yes"></form>',
      );
    }
    if (kind === 'link') return html(200, '<p>Payment received.</p>');
    response.writeHead(303, { location: session.success_url ?? '/' });
    response.end();
  }

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${address.port}`;
  return {
    origin,
    host: '127.0.0.1',
    port: address.port,
    state: { customers, sessions, intents, cards, refunds, links },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

function today(clock: Clock) {
  const date = clock.now().toZonedDateTimeISO('UTC');
  return { year: date.year, month: date.month };
}

function secretKeyOf(request: IncomingMessage): string {
  return (request.headers.authorization ?? '').replace(/^Bearer /, '');
}

/** Stripe's way of naming a wrong key without repeating it: its prefix and last four characters. */
function redactKey(key: string): string {
  const prefix = /^[a-z]+_[a-z]+_/.exec(key)?.[0] ?? '';
  return `${prefix}${'*'.repeat(Math.max(0, key.length - prefix.length - 4))}${key.slice(-4)}`;
}

function invalidRequest(message: string, param: string | null) {
  return { error: { type: 'invalid_request_error', message, param } };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
