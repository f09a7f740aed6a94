import { formatMoney, isCurrencyCode, money } from '../../../money/index.js';
import { TEST_CARDS } from './test-cards.js';

/**
 * The test gateway's hosted pages, as plain server-rendered HTML: they belong to "the gateway", not
 * to Billfold's web app, just as Stripe's checkout page does. A card number typed here is checked and
 * dropped; only the brand, last four digits and expiry are kept.
 */

export interface PayPageSession {
  id: string;
  mode: 'payment' | 'setup';
  amount: string;
  currency: string;
  description: string;
  cancelUrl: string;
  status: 'open' | 'complete' | 'expired' | 'cancelled';
  /** The gateway this payer's payments go to in live mode, and the billing country that decides it. */
  live?: { gateway: string; country: string } | undefined;
}

const GATEWAY_NAMES: Record<string, string> = { stripe: 'Stripe', cashfree: 'Cashfree' };
const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** "In live mode this payment goes to Cashfree: customers billed in India pay through Cashfree." */
function liveModeNote(session: PayPageSession): string {
  if (!session.live) return '';
  const gateway = GATEWAY_NAMES[session.live.gateway] ?? session.live.gateway;
  let country = session.live.country;
  try {
    country = countryNames.of(country) ?? country;
  } catch {
    // Not a region code Intl knows: the code itself says it.
  }
  return `<p class="live">In live mode this payment goes to <strong>${escapeHtml(gateway)}</strong>: customers billed in ${escapeHtml(country)} pay through ${escapeHtml(gateway)}.</p>`;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function amountText(session: PayPageSession) {
  return isCurrencyCode(session.currency)
    ? formatMoney(money(BigInt(session.amount), session.currency))
    : session.amount;
}

const styles = `
  *{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#101828;background:#f2f4f7}
  main{max-width:440px;margin:48px auto;padding:0 16px}
  .banner{background:#fffaeb;border:1px solid #fedf89;color:#b54708;border-radius:8px;padding:8px 12px;font-size:13px;margin-bottom:16px}
  .card{background:#fff;border:1px solid #e4e7ec;border-radius:12px;box-shadow:0 1px 3px rgb(16 24 40/.08);padding:24px}
  h1{font-size:15px;font-weight:600;color:#475467;margin:0 0 4px}.amount{font-size:30px;font-weight:700;margin:0 0 4px}
  .what{color:#667085;font-size:14px;margin:0 0 20px}
  .live{background:#eff8ff;border:1px solid #b2ddff;color:#175cd3;border-radius:8px;padding:8px 12px;font-size:13px;margin:-8px 0 16px}
  label{display:block;font-size:13px;font-weight:600;margin:14px 0 6px}
  input{width:100%;height:42px;border:1px solid #d0d5dd;border-radius:8px;padding:0 12px;font:inherit}
  input:focus{outline:none;border-color:#6366f1;box-shadow:0 0 0 3px rgb(99 102 241/.25)}
  .row{display:grid;grid-template-columns:1fr 1fr;gap:12px}
  button{width:100%;height:44px;margin-top:20px;border:0;border-radius:8px;background:#4f46e5;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer}
  button.secondary{background:#fff;color:#344054;border:1px solid #d0d5dd;margin-top:10px}
  .error{background:#fef3f2;border:1px solid #fecdca;color:#b42318;border-radius:8px;padding:10px 12px;margin:0 0 8px;font-size:14px}
  .cancel{display:block;text-align:center;margin-top:16px;color:#475467;font-size:14px}
  details{margin-top:20px;font-size:13px;color:#475467}summary{cursor:pointer}
  table{width:100%;border-collapse:collapse;margin-top:8px}td{padding:4px 0;border-bottom:1px solid #f2f4f7}td:first-child{font-family:ui-monospace,monospace}
  .lock{color:#667085;font-size:12px;text-align:center;margin-top:16px}`;

function layout(title: string, body: string) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${styles}</style></head><body><main>
<div class="banner">Test gateway: no real money moves. Use a test card.</div>${body}</main></body></html>`;
}

const behaviours: Record<string, string> = {
  succeeds: 'Succeeds',
  declined: 'Declined',
  insufficient_funds: 'Insufficient funds',
  requires_authentication: 'Needs authentication',
  fails_off_session: 'Saves, then later charges fail',
};

export function renderPayPage(
  session: PayPageSession,
  state: { error?: string; values?: { number?: string; expiry?: string; name?: string } } = {},
): string {
  const paying = session.mode === 'payment';
  const title = paying ? `Pay ${amountText(session)}` : 'Save a card';
  const cards = Object.entries(TEST_CARDS)
    .map(
      ([n, c]) =>
        `<tr><td>${n.replace(/(\d{4})(?=\d)/g, '$1 ')}</td><td>${escapeHtml(behaviours[c.behaviour] ?? c.behaviour)}</td></tr>`,
    )
    .join('');
  const v = state.values ?? {};
  return layout(
    title,
    `<div class="card">
  <h1>Billfold test gateway</h1>
  ${paying ? `<p class="amount">${escapeHtml(amountText(session))}</p>` : '<p class="amount">Save a card</p>'}
  <p class="what">${escapeHtml(session.description)}</p>
  ${liveModeNote(session)}
  ${state.error ? `<p class="error" role="alert">${escapeHtml(state.error)}</p>` : ''}
  <form method="post" action="/pay/test/${escapeHtml(session.id)}" autocomplete="off">
    <label for="number">Card number</label>
    <input id="number" name="number" inputmode="numeric" placeholder="4242 4242 4242 4242" value="${escapeHtml(v.number ?? '')}" required>
    <div class="row">
      <div><label for="expiry">Expiry</label><input id="expiry" name="expiry" placeholder="MM / YY" value="${escapeHtml(v.expiry ?? '')}" required></div>
      <div><label for="cvc">CVC</label><input id="cvc" name="cvc" inputmode="numeric" placeholder="123" required></div>
    </div>
    <label for="name">Name on card</label>
    <input id="name" name="name" value="${escapeHtml(v.name ?? '')}">
    <button type="submit">${escapeHtml(title)}</button>
  </form>
  ${session.cancelUrl ? `<a class="cancel" href="${escapeHtml(session.cancelUrl)}">Cancel and return</a>` : ''}
  <details><summary>Test cards</summary><table>${cards}</table><p>Any future expiry and any CVC.</p></details>
</div>
<p class="lock">The card number is checked and dropped: only its brand and last four digits are kept.</p>`,
  );
}

export function renderAuthenticatePage(session: PayPageSession, pending: string): string {
  const hidden = `<input type="hidden" name="pending" value="${escapeHtml(pending)}">`;
  return layout(
    'Authenticate',
    `<div class="card">
  <h1>Your bank</h1>
  <p class="amount">Authenticate</p>
  <p class="what">${session.mode === 'payment' ? `Confirm the payment of ${escapeHtml(amountText(session))}.` : 'Confirm saving this card.'} This stands for your bank's 3-D Secure step.</p>
  <form method="post" action="/pay/test/${escapeHtml(session.id)}/authenticate">${hidden}<input type="hidden" name="decision" value="approve"><button type="submit">Complete authentication</button></form>
  <form method="post" action="/pay/test/${escapeHtml(session.id)}/authenticate">${hidden}<input type="hidden" name="decision" value="reject"><button type="submit" class="secondary">Fail authentication</button></form>
</div>`,
  );
}

export function renderClosedPage(message: string, returnUrl: string | undefined): string {
  return layout(
    'Checkout closed',
    `<div class="card"><h1>Billfold test gateway</h1><p class="amount">Closed</p><p class="what">${escapeHtml(message)}</p>
${returnUrl ? `<a class="cancel" href="${escapeHtml(returnUrl)}">Return</a>` : ''}</div>`,
  );
}

export function renderPaidPage(session: PayPageSession): string {
  return layout(
    'Payment received',
    `<div class="card"><h1>Billfold test gateway</h1><p class="amount">${escapeHtml(amountText(session))}</p>
<p class="what">Payment received for ${escapeHtml(session.description)}. Thank you: you can close this page.</p></div>`,
  );
}
