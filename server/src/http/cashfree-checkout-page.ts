import type { FastifyInstance, FastifyReply } from 'fastify';
import { pagePolicy } from './page-security.js';

const CASHFREE_SDK = 'https://sdk.cashfree.com';
const CASHFREE_HOSTS = 'https://*.cashfree.com';

/**
 * Cashfree's hosted pages open from a session id through its JavaScript SDK. These pages are where
 * Billfold sends a payer: /pay/cashfree/:session for an order, /pay/cashfree/mandate/:session to
 * authorise a mandate. They load Cashfree's script and hand over to Cashfree. Nothing is typed here.
 */
export async function registerCashfreeCheckoutPage(
  app: FastifyInstance,
  environment: 'sandbox' | 'production',
) {
  const handOver = (reply: FastifyReply, session: string, call: 'checkout' | 'subscriptionsCheckout') => {
    if (!/^[A-Za-z0-9_-]{8,300}$/.test(session)) {
      const missing = '<p>No such checkout.</p>';
      return reply
        .code(404)
        .header('content-security-policy', pagePolicy(missing))
        .type('text/html')
        .send(missing);
    }
    const option = call === 'checkout' ? 'paymentSessionId' : 'subsSessionId';
    const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Redirecting to Cashfree</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:15px system-ui,sans-serif;margin:48px auto;max-width:420px;color:#101828}</style></head>
<body>
<p>Opening Cashfree's secure page…</p>
<script src="${CASHFREE_SDK}/js/v3/cashfree.js"></script>
<script>Cashfree({ mode: ${JSON.stringify(environment)} }).${call}({ ${option}: ${JSON.stringify(session)}, redirectTarget: "_self" });</script>
</body></html>`;
    return reply
      .headers({
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        // Cashfree's SDK, the inline call to it (by hash), and what the SDK reaches on its own hosts.
        'content-security-policy': pagePolicy(page, {
          script: [CASHFREE_SDK],
          connect: [CASHFREE_HOSTS],
          frame: [CASHFREE_HOSTS],
          formAction: [CASHFREE_HOSTS],
          img: [CASHFREE_HOSTS],
        }),
      })
      .type('text/html; charset=utf-8')
      .send(page);
  };
  app.get<{ Params: { session: string } }>(
    '/pay/cashfree/:session',
    { schema: { hide: true } },
    (request, reply) => handOver(reply, request.params.session, 'checkout'),
  );
  app.get<{ Params: { session: string } }>(
    '/pay/cashfree/mandate/:session',
    { schema: { hide: true } },
    (request, reply) => handOver(reply, request.params.session, 'subscriptionsCheckout'),
  );
}
