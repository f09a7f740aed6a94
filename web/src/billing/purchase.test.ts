import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { CheckoutQuote, OfferedPlan } from '../api/client';
import { nextAfterAuth } from '../auth/AuthLayout';
import { planByCode, purchaseSentence } from './purchase';

const offer = (code: string) => ({ id: `plan_${code}`, code }) as OfferedPlan;

/** Team at $49.00 a month, bought on Nov 29 in Los Angeles: two days of November, then Dec 1. */
const quote = (changes: Partial<CheckoutQuote> = {}): CheckoutQuote => ({
  object: 'checkout_quote',
  plan_id: 'plan_team',
  currency: 'USD',
  time_zone: 'America/Los_Angeles',
  period_start: '2026-11-29T08:00:00.000Z',
  period_end: '2026-12-01T08:00:00.000Z',
  trialing: false,
  lines: [{ description: 'Team, 2 of 30 days', amount: 327 }],
  subtotal: 327,
  tax: 0,
  total: 327,
  credit_applied: 0,
  amount_due: 327,
  recurring: {
    from: '2026-12-01T08:00:00.000Z',
    interval: 'month',
    subtotal: 4900,
    tax: 0,
    total: 4900,
    usage_charges: false,
  },
  gateway: { name: 'test', live: 'stripe', country: 'US' },
  ...changes,
});

// The reader's locale, which the browser gives and Node 20 does not: an American reader.
beforeAll(() => {
  vi.stubGlobal('navigator', { language: 'en-US' });
});

describe('a plans link', () => {
  it('leads to the Buy plan dialog of the plan it names, unless another page was asked for', () => {
    expect(nextAfterAuth(new URLSearchParams('plan=team'))).toBe('/billing?buy=team');
    expect(nextAfterAuth(new URLSearchParams('plan=team&next=/members'))).toBe('/members');
    expect(nextAfterAuth(new URLSearchParams('next=/billing%3Fbuy%3Dteam'))).toBe('/billing?buy=team');
    // A code that is no plan code is not carried anywhere.
    expect(nextAfterAuth(new URLSearchParams('plan=../../x'))).toBe('/');
    expect(nextAfterAuth(new URLSearchParams('plan=//evil.example'))).toBe('/');
  });

  it('names a plan by code, or its edition in the customer’s currency', () => {
    const offers = [offer('starter_in'), offer('team_in'), offer('business')];
    expect(planByCode(offers, 'team')?.code).toBe('team_in');
    expect(planByCode([offer('team'), offer('team_in')], 'TEAM')?.code).toBe('team');
    expect(planByCode(offers, 'teams')).toBeUndefined();
  });

  it('takes a regional or currency edition, never another plan whose code begins the same', () => {
    expect(planByCode([offer('team_annual'), offer('team_eur')], 'team')?.code).toBe('team_eur');
    expect(planByCode([offer('team_annual')], 'team')).toBeUndefined();
    expect(planByCode([offer('team_in_annual')], 'team')).toBeUndefined();
    // A code is matched as written, not as a pattern.
    expect(planByCode([offer('team_in')], 't.am')).toBeUndefined();
  });
});

describe('the purchase sentence', () => {
  it('says what is due now for which days, then what each month takes from when', () => {
    expect(purchaseSentence(quote())).toBe('$3.27 now for Nov 29 – Nov 30, then $49.00 a month from Dec 1.');
  });

  it('names a one-day period once, and says usage is billed on top', () => {
    const oneDay = quote({
      period_start: '2026-11-30T08:00:00.000Z',
      amount_due: 163,
      recurring: { ...quote().recurring, usage_charges: true },
    });
    expect(purchaseSentence(oneDay)).toBe(
      '$1.63 now for Nov 30, then $49.00 a month from Dec 1, plus usage as it is used.',
    );
  });

  it('counts the tax in both amounts, as India’s GST adds it', () => {
    const india = quote({
      currency: 'INR',
      time_zone: 'Asia/Kolkata',
      period_start: '2026-11-28T18:30:00.000Z',
      period_end: '2026-11-30T18:30:00.000Z',
      subtotal: 26660,
      tax: 4799,
      total: 31459,
      amount_due: 31459,
      recurring: {
        from: '2026-11-30T18:30:00.000Z',
        interval: 'month',
        subtotal: 399900,
        tax: 71982,
        total: 471882,
        usage_charges: false,
      },
    });
    expect(purchaseSentence(india)).toBe(
      '₹314.59 now for Nov 29 – Nov 30, then ₹4,718.82 a month from Dec 1.',
    );
  });

  it('says nothing is due during a trial', () => {
    const trial = quote({
      trialing: true,
      amount_due: 0,
      total: 0,
      recurring: { ...quote().recurring, from: '2026-12-13T08:00:00.000Z' },
    });
    expect(purchaseSentence(trial)).toBe('Nothing now: free until Dec 13, then $49.00 a month from Dec 13.');
  });
});
