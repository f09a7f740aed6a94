/** Dates as people read them, in their own locale and time zone. */

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export const formatDate = (iso: string) => dateFormat.format(new Date(iso));
export const formatTime = (iso: string) => timeFormat.format(new Date(iso));

export const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase() ?? '')
    .join('') || '?';

/** A date as the calendar of `timeZone` says it (a customer's billing zone, not the browser's). */
export const formatDateIn = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone }).format(
    new Date(iso),
  );

/** The last day of a period whose end is the first instant of the next one. */
export const formatLastDayIn = (endIso: string, timeZone: string) =>
  formatDateIn(new Date(new Date(endIso).getTime() - 1).toISOString(), timeZone);
