import type { ComponentType, SVGProps } from 'react';
import type { Permissions } from '../api/permissions';
import {
  BuildingIcon,
  CardIcon,
  ChartIcon,
  HomeIcon,
  KeyIcon,
  LayersIcon,
  ScrollIcon,
  SendIcon,
  SettingsIcon,
  UsersIcon,
} from '../ui';

export interface NavEntry {
  to: string;
  label: string;
  icon: ComponentType<SVGProps<SVGSVGElement> & { size?: number }>;
  /** The permission needed to see the entry; absent: everyone in the organization. */
  needs?: keyof Permissions;
}

export const navEntries: readonly NavEntry[] = [
  { to: '/', label: 'Overview', icon: HomeIcon },
  { to: '/members', label: 'Members', icon: UsersIcon },
  { to: '/api-keys', label: 'API keys', icon: KeyIcon, needs: 'readApiKeys' },
  { to: '/webhooks', label: 'Webhooks', icon: SendIcon, needs: 'readApiKeys' },
  { to: '/audit-log', label: 'Audit log', icon: ScrollIcon, needs: 'readAuditLog' },
  { to: '/billing', label: 'Billing', icon: CardIcon, needs: 'readBilling' },
  { to: '/usage', label: 'Usage', icon: ChartIcon, needs: 'readBilling' },
  { to: '/settings', label: 'Settings', icon: SettingsIcon },
];

/** The platform's own pages, for operators only. */
export const operatorEntries: readonly NavEntry[] = [
  { to: '/operator/plans', label: 'Plans', icon: LayersIcon, needs: 'operate' },
  { to: '/operator/metrics', label: 'Metrics', icon: ChartIcon, needs: 'operate' },
  { to: '/operator/customers', label: 'Customers', icon: BuildingIcon, needs: 'operate' },
];

export const visibleEntries = (permissions: Permissions) =>
  navEntries.filter((entry) => !entry.needs || permissions[entry.needs]);
