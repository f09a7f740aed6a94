import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';

/**
 * The methods a path answers, for the 405 that a wrong method on a known path gets (with `Allow`)
 * where Fastify's router only says "no route". Every route the app registers, in any plugin, is
 * copied into a second router of the same kind and options (find-my-way, Fastify's own), which
 * is asked, method by method, whether it matches the path.
 *
 * Call before registering routes: only routes added afterwards are seen.
 */
export function allowedMethods(app: FastifyInstance): (url: string) => string[] {
  const { caseSensitive, ignoreTrailingSlash, ignoreDuplicateSlashes, maxParamLength } = app.initialConfig;
  const router = FindMyWay({
    ...(caseSensitive === undefined ? {} : { caseSensitive }),
    ...(ignoreTrailingSlash === undefined ? {} : { ignoreTrailingSlash }),
    ...(ignoreDuplicateSlashes === undefined ? {} : { ignoreDuplicateSlashes }),
    ...(maxParamLength === undefined ? {} : { maxParamLength }),
  });
  const methods = new Set<HTTPMethod>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat() as HTTPMethod[]) {
      router.on(method, route.url, () => undefined);
      methods.add(method);
    }
  });
  return (url) => {
    const path = url.split('?')[0] ?? url;
    return [...methods].filter((method) => router.find(method, path) !== null).sort();
  };
}
