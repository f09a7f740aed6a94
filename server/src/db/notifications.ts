/**
 * LISTEN on PostgreSQL through a connection of its own, outside the pool (a pooled connection goes
 * back to other work between queries and would miss notifications). When the connection drops it is
 * opened again, with growing pauses; whoever listens is told, because notifications sent while it was
 * down are lost and anything derived from them must be thrown away.
 */

export interface NotificationHandlers {
  onNotification(payload: string): void;
  /** Listening (again): notifications from now on arrive; earlier ones may have been missed. */
  onListening(): void;
  /** The connection is lost: notifications will be missed until onListening. */
  onLost(error: Error): void;
}

export interface NotificationListener {
  close(): Promise<void>;
}

export type Listen = (channel: string, handlers: NotificationHandlers) => NotificationListener;

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5_000;

export function listenOnPostgres(url: string): Listen {
  return (channel, handlers) => {
    let closed = false;
    let client: import('pg').Client | undefined;
    let retryMs = FIRST_RETRY_MS;
    let retry: NodeJS.Timeout | undefined;

    // Error and end both arrive for one loss: only the first, for the current connection, counts.
    const lost = (which: import('pg').Client, error: Error) => {
      if (closed || client !== which) return;
      which.removeAllListeners();
      which.on('error', () => {});
      which.end().catch(() => {});
      client = undefined;
      handlers.onLost(error);
      retry = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
    };

    const connect = async () => {
      const { default: pg } = await import('pg');
      if (closed) return;
      const next = new pg.Client({ connectionString: url });
      client = next;
      next.on('error', (error) => lost(next, error));
      next.on('end', () => lost(next, new Error('the listening connection ended')));
      next.on('notification', (message) => {
        if (message.channel === channel && message.payload !== undefined) {
          handlers.onNotification(message.payload);
        }
      });
      try {
        await next.connect();
        // Channel names are identifiers; ours are constants of this code base, never input.
        await next.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
      } catch (error) {
        lost(next, error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (closed || client !== next) return;
      retryMs = FIRST_RETRY_MS;
      handlers.onListening();
    };

    void connect();
    return {
      close: async () => {
        closed = true;
        clearTimeout(retry);
        const last = client;
        client = undefined;
        last?.removeAllListeners();
        // An 'error' after removing the listeners would otherwise be fatal to the process.
        last?.on('error', () => {});
        await last?.end().catch(() => {});
      },
    };
  };
}
