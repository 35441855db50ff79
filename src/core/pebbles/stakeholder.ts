import type { Stakeholder } from './pebble.model.js';

// Words that say who feels the friction. Most reports are about customers, so customer is the
// default; these lists only move a report when its text clearly speaks of colleagues' own
// tools and processes, or of partners. The AI port may refine the guess later.
const EMPLOYEE = [
  'our team',
  'my team',
  'internal',
  'intranet',
  'payroll',
  'expense',
  'expenses',
  'timesheet',
  'laptop',
  'vpn',
  'onboarding new hires',
  'new hire',
  'new hires',
  'colleague',
  'colleagues',
  'employee',
  'employees',
  'staff',
  'hr',
  'it ticket',
  'helpdesk',
  'jira',
  'our crm',
  'admin panel',
  'back office',
  'backoffice',
];
const PARTNER = [
  'reseller',
  'resellers',
  'partner',
  'partners',
  'partner portal',
  'supplier',
  'suppliers',
  'vendor',
  'vendors',
  'distributor',
  'distributors',
  'integrator',
  'integrators',
  'affiliate',
  'affiliates',
  'wholesale',
  'agency',
  'agencies',
];

function hits(text: string, words: string[]): number {
  return words.filter((w) => new RegExp(`(^|[^a-z])${w}([^a-z]|$)`).test(text)).length;
}

/**
 * Who most likely feels the friction a report describes: partner or employee when the text
 * says so (the stronger signal wins), customer otherwise. Triage can change it on the card.
 */
export function inferStakeholder(text: string): Stakeholder {
  const t = text.toLowerCase();
  const partner = hits(t, PARTNER);
  const employee = hits(t, EMPLOYEE);
  if (partner === 0 && employee === 0) return 'customer';
  return partner >= employee ? 'partner' : 'employee';
}
