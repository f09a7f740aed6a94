import type { Db } from '../db/database.js';
import type { NotificationHandlers } from '../db/notifications.js';
import { ApiKeyAuthenticator } from './api-keys.js';
import { type AccessChange, parseAccessChange } from './changes.js';
import { OrganizationCache } from './organizations.js';

/** This process's caches of access data, kept true to the database by its announcements. */
export class AccessCaches {
  readonly apiKeys: ApiKeyAuthenticator;
  readonly organizations: OrganizationCache;

  /**
   * `followsChanges`: whether another process can change the data (PostgreSQL). The caches are then
   * used only while this process is listening for changes; until it is (and while the listening
   * connection is lost) every request reads the database.
   */
  constructor(db: Db, options: { followsChanges: boolean }) {
    this.apiKeys = new ApiKeyAuthenticator(db);
    this.organizations = new OrganizationCache(db);
    this.#setTrusted(!options.followsChanges);
  }

  apply(change: AccessChange): void {
    if (change.kind === 'api_key_revoked') this.apiKeys.forget(change.keyId);
    else this.organizations.forget(change.orgId);
  }

  /** Handlers for the listening connection on ACCESS_CHANNEL. */
  readonly listener: NotificationHandlers = {
    onNotification: (payload) => {
      const change = parseAccessChange(payload);
      if (change) this.apply(change);
    },
    // Changes made while nobody listened were missed: everything remembered may be stale.
    onListening: () => this.#setTrusted(true),
    onLost: () => this.#setTrusted(false),
  };

  #setTrusted(trusted: boolean): void {
    this.apiKeys.clear(trusted);
    this.organizations.clear(trusted);
  }
}
