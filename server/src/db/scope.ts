/**
 * Which organizations a sweep over due work covers: only some (a test clock's), or all but some
 * (the platform's clock skips customers on test clocks, whose time is their own).
 */
export interface BillingScope {
  only?: readonly string[];
  except?: readonly string[];
}
