import type { FastifyInstance } from 'fastify';

/**
 * Cashfree's hosted checkout opens from a payment session id through its JavaScript SDK. This page,
 * at /pay/cashfree/:session, is where Billfold sends a payer: it loads Cashfree's script and hands
 * over to Cashfree's page. Nothing is typed here.
 */
export async function registerCashfreeCheckoutPage(
  app: FastifyInstance,
  environment: 'sandbox' | 'production',
) {
  app.get<{ Params: { session: string } }>(
    '/pay/cashfree/:session',
    { schema: { hide: true } },
    async (request, reply) => {
      const { session } = request.params;
      if (!/^[A-Za-z0-9_-]{8,300}$/.test(session))
        return reply.code(404).type('text/html').send('<p>No such checkout.</p>');
      const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Redirecting to Cashfree</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body style="font:15px system-ui,sans-serif;margin:48px auto;max-width:420px;color:#101828">
<p>Opening Cashfree's secure checkout…</p>
<script src="https://sdk.cashfree.com/js/v3/cashfree.js"></script>
<script>Cashfree({ mode: ${JSON.stringify(environment)} }).checkout({ paymentSessionId: ${JSON.stringify(session)}, redirectTarget: "_self" });</script>
</body></html>`;
      return reply
        .headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
        .type('text/html; charset=utf-8')
        .send(page);
    },
  );
}
