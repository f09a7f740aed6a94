export * from './access.schema.js';
export {
  ApiKeyAuthenticator,
  createApiKey,
  type KeyPrincipal,
  listApiKeys,
  revokeApiKey,
} from './api-keys.js';
export { listAuditEvents, recordAudit, recordAudits, wasAudited } from './audit.js';
export { AccessCaches } from './caches.js';
export { ACCESS_CHANNEL, type AccessChange, announceAccessChange } from './changes.js';
export {
  changePassword,
  endAllSessions,
  endSession,
  findSession,
  grantOperator,
  presentUser,
  SESSION_DAYS,
  signIn,
  signUp,
} from './identity.js';
export {
  acceptInvitation,
  changeRole,
  createInvitation,
  getMember,
  listInvitations,
  listMembers,
  previewInvitation,
  removeMember,
  revokeInvitation,
  transferOwnership,
} from './members.js';
export {
  createOrganization,
  getOrganization,
  listOrganizationsFor,
  OrganizationCache,
  PLATFORM_ORG_ID,
  presentOrganization,
  roleIn,
  updateOrganization,
} from './organizations.js';
export {
  allows,
  type Holder,
  needsOrganization,
  type Permission,
  type PermissionRule,
  policy,
} from './policy.js';
export { safeEqual } from './secrets.js';
