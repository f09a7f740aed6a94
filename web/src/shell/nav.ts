import type { ComponentType, SVGProps } from 'react';
import type { Permissions } from '../api/permissions';

export type NavSection = 'member' | 'operator';

/** A page of the app: the route table (routes.ts) holds one for each, and nothing else says where it is. */
export interface PageRoute {
  /** The address react-router matches ('*': every address no other page has). */
  path: string;
  page: ComponentType;
  /** What the page is called, also on the explanation shown to a role that may not open it. */
  title: string;
  /** Open without signing in, outside the signed-in shell (signing in, an invite link). */
  public?: true;
  /** The permission the page needs; absent: everyone in the organization. */
  needs?: keyof Permissions;
  /**
   * The frame the page is drawn in (its `<Outlet/>`), shared with the other pages that name the same
   * one: it stays mounted while the person moves between them, so what it holds (a checkout being
   * watched) is kept. Pages sharing a frame need the same permission.
   */
  layout?: ComponentType;
  /** For a page in the navigation: where, and how it is shown. */
  nav?: {
    /** The organization's own pages, or the platform's for operators. */
    section: NavSection;
    icon: ComponentType<SVGProps<SVGSVGElement> & { size?: number }>;
    /** When shorter than the title. */
    label?: string;
    /** What the page is for, under its quick link on the Overview. */
    summary?: string;
  };
}

export interface NavEntry {
  to: string;
  label: string;
  icon: NonNullable<PageRoute['nav']>['icon'];
  summary: string | undefined;
}

export type Navigation = Record<NavSection, NavEntry[]>;

/** The entries a person's permissions open, by section, in the route table's order. */
export function navigationFor(routes: readonly PageRoute[], permissions: Permissions): Navigation {
  const section = (name: NavSection) =>
    routes.flatMap(({ path, title, needs, nav }) =>
      nav?.section === name && (!needs || permissions[needs])
        ? [{ to: path, label: nav.label ?? title, icon: nav.icon, summary: nav.summary }]
        : [],
    );
  return { member: section('member'), operator: section('operator') };
}
