import { createHash } from 'node:crypto';

/**
 * Content-Security-Policy for the HTML pages Billfold serves (invoices, the test gateway's pay
 * pages, the Cashfree hand-over): nothing loads or runs unless listed. Inline <style> and <script>
 * elements are allowed by the SHA-256 of their exact text, computed from the page being sent, so a
 * page keeps its own inline CSS while an injected element (or a style="" attribute) is refused.
 */

export interface PageSources {
  /** Scripts from elsewhere (Cashfree's SDK). */
  script?: readonly string[];
  /** Where scripts may connect, frame and post forms, besides this origin. */
  connect?: readonly string[];
  frame?: readonly string[];
  formAction?: readonly string[];
  img?: readonly string[];
}

const INLINE = /<(style|script)(\s[^>]*)?>([\s\S]*?)<\/\1>/gi;

const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function pagePolicy(html: string, sources: PageSources = {}): string {
  const styles: string[] = [];
  const scripts: string[] = [];
  for (const [, tag, attributes = '', text = ''] of html.matchAll(INLINE)) {
    if (/\bsrc\s*=/i.test(attributes)) continue;
    (tag?.toLowerCase() === 'style' ? styles : scripts).push(hashOf(text));
  }
  const list = (values: readonly string[], fallback = "'none'") =>
    values.length > 0 ? values.join(' ') : fallback;
  return [
    "default-src 'none'",
    `style-src ${list(styles)}`,
    `script-src ${list([...scripts, ...(sources.script ?? [])])}`,
    `img-src ${list(["'self'", 'data:', ...(sources.img ?? [])])}`,
    ...(sources.connect ? [`connect-src ${list(sources.connect)}`] : []),
    ...(sources.frame ? [`frame-src ${list(sources.frame)}`] : []),
    `form-action ${list(["'self'", ...(sources.formAction ?? [])])}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
