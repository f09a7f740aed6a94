/**
 * The test gateway's cards: Stripe's documented test numbers and what each does. Any other number is
 * refused, as in Stripe's test mode: a real card never belongs here.
 */

export type CardBehaviour =
  | 'succeeds'
  | 'declined'
  | 'insufficient_funds'
  | 'requires_authentication'
  | 'fails_off_session';

export interface TestCard {
  brand: string;
  behaviour: CardBehaviour;
}

export const TEST_CARDS: Readonly<Record<string, TestCard>> = {
  '4242424242424242': { brand: 'visa', behaviour: 'succeeds' },
  '5555555555554444': { brand: 'mastercard', behaviour: 'succeeds' },
  '4000000000000002': { brand: 'visa', behaviour: 'declined' },
  '4000000000009995': { brand: 'visa', behaviour: 'insufficient_funds' },
  '4000002760003184': { brand: 'visa', behaviour: 'requires_authentication' },
  '4000000000000341': { brand: 'visa', behaviour: 'fails_off_session' },
};

export const DECLINES: Readonly<
  Record<'declined' | 'insufficient_funds', { code: string; message: string }>
> = {
  declined: { code: 'card_declined', message: 'Your card was declined.' },
  insufficient_funds: { code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
};

export interface CardInput {
  number: string;
  expiry: string;
  cvc: string;
}

export type CardCheck =
  | { ok: true; card: TestCard; last4: string; expMonth: number; expYear: number }
  | { ok: false; field: 'number' | 'expiry' | 'cvc'; message: string };

/** Checks what a person typed on the pay page; `today` is the gateway clock's date (UTC). */
export function checkCard(input: CardInput, today: { year: number; month: number }): CardCheck {
  const number = input.number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number))
    return { ok: false, field: 'number', message: 'Your card number is incomplete.' };
  const card = TEST_CARDS[number];
  if (!card) {
    return {
      ok: false,
      field: 'number',
      message: 'This is the test gateway: use a test card such as 4242 4242 4242 4242.',
    };
  }
  const expiry = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(input.expiry.trim());
  const month = expiry ? Number.parseInt(expiry[1] ?? '', 10) : 0;
  const rawYear = expiry ? Number.parseInt(expiry[2] ?? '', 10) : 0;
  const year = rawYear < 100 ? 2000 + rawYear : rawYear;
  if (!expiry || month < 1 || month > 12)
    return { ok: false, field: 'expiry', message: 'Enter the expiry as MM / YY.' };
  if (year < today.year || (year === today.year && month < today.month)) {
    return { ok: false, field: 'expiry', message: "Your card's expiration date is in the past." };
  }
  if (!/^\d{3,4}$/.test(input.cvc.trim()))
    return { ok: false, field: 'cvc', message: "Your card's security code is incomplete." };
  return { ok: true, card, last4: number.slice(-4), expMonth: month, expYear: year };
}
