import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  type PayPageSession,
  renderAuthenticatePage,
  renderClosedPage,
  renderPaidPage,
  renderPayPage,
} from '../payments/gateways/test/pay-page.js';
import type { PayOutcome, TestGateway } from '../payments/index.js';
import { pagePolicy } from './page-security.js';

/**
 * The test gateway's hosted pages at /pay/test/:session. They take HTML form posts (only here: the
 * API itself accepts JSON alone) and answer with pages or redirects, as a gateway's checkout does.
 */
export async function registerTestGatewayPages(app: FastifyInstance, gateway: TestGateway) {
  await app.register(async (pages) => {
    pages.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      },
    );
    const headers = {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    };
    const html = (reply: FastifyReply, body: string, status = 200) =>
      reply
        .code(status)
        .headers({ ...headers, 'content-security-policy': pagePolicy(body) })
        .send(body);

    const load = async (id: string): Promise<PayPageSession | undefined> => {
      if (!/^(tcs|tlink)_[0-9A-Za-z]{20}$/.test(id)) return undefined;
      try {
        const data = await gateway.viewSession(id);
        return {
          id,
          mode: data.mode,
          amount: data.amount,
          currency: data.currency,
          description: data.description,
          cancelUrl: data.cancel_url,
          status: data.status,
          live:
            data.metadata.live_gateway && data.metadata.billing_country
              ? { gateway: data.metadata.live_gateway, country: data.metadata.billing_country }
              : undefined,
        };
      } catch {
        return undefined;
      }
    };

    const answer = (
      reply: FastifyReply,
      session: PayPageSession,
      outcome: PayOutcome,
      values?: Record<string, string>,
    ) => {
      switch (outcome.kind) {
        case 'completed':
          return reply
            .code(303)
            .header('location', outcome.redirect)
            .header('cache-control', 'no-store')
            .send();
        case 'authenticate':
          return html(reply, renderAuthenticatePage(session, outcome.payment));
        case 'declined':
          return html(reply, renderPayPage(session, { error: outcome.message, values: values ?? {} }), 402);
        case 'closed':
          return html(reply, renderClosedPage(outcome.message, session.cancelUrl), 410);
      }
    };

    pages.get<{ Params: { id: string } }>('/pay/test/:id', async (request, reply) => {
      const session = await load(request.params.id);
      if (!session) return html(reply, renderClosedPage('No such checkout.', undefined), 404);
      const noun = session.id.startsWith('tlink_') ? 'payment link' : 'checkout';
      const closed: Record<string, string> = {
        complete: `This ${noun} is already paid.`,
        expired: `This ${noun} has expired: it can no longer be paid. Ask for a new one.`,
        cancelled: `This ${noun} was cancelled: it can no longer be paid. Ask for a new one.`,
      };
      const message = closed[session.status];
      if (message) return html(reply, renderClosedPage(message, session.cancelUrl || undefined), 410);
      return html(reply, renderPayPage(session));
    });

    pages.get<{ Params: { id: string } }>('/pay/test/:id/done', async (request, reply) => {
      const session = await load(request.params.id);
      if (session?.status !== 'complete') {
        return html(reply, renderClosedPage('No such payment.', undefined), 404);
      }
      return html(reply, renderPaidPage(session));
    });

    pages.post<{ Params: { id: string }; Body: Record<string, string> }>(
      '/pay/test/:id',
      async (request, reply) => {
        const session = await load(request.params.id);
        if (!session) return html(reply, renderClosedPage('No such checkout.', undefined), 404);
        const body = request.body ?? {};
        const card = { number: body.number ?? '', expiry: body.expiry ?? '', cvc: body.cvc ?? '' };
        const outcome = await gateway.submitCard(session.id, card);
        // The number is never echoed back in full: a person retyping after a decline starts afresh.
        return answer(reply, session, outcome, { expiry: card.expiry, name: body.name ?? '' });
      },
    );

    pages.post<{ Params: { id: string }; Body: Record<string, string> }>(
      '/pay/test/:id/authenticate',
      async (request, reply) => {
        const session = await load(request.params.id);
        if (!session) return html(reply, renderClosedPage('No such checkout.', undefined), 404);
        const body = request.body ?? {};
        const outcome = await gateway.authenticate(
          session.id,
          body.pending ?? '',
          body.decision === 'approve',
        );
        return answer(reply, session, outcome);
      },
    );
  });
}
