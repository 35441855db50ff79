import type { Frequency, Stakeholder } from '../../src/core/pebbles/pebble.model.js';

/**
 * The friction people report in the demo workspace of Harbor Goods (an online shop with
 * subscription boxes, a support centre, a warehouse and reseller partners). Each entry is what
 * a reporter writes plus what triage later decides (severity, journey stage). Entries with a
 * `key` are the ones the story follows through the council; the others are the daily noise.
 */
export interface FrictionReport {
  key?: string;
  title: string;
  description: string;
  stakeholder: Stakeholder;
  journey: 'customer' | 'employee' | 'partner';
  stage: string;
  severity: 1 | 2 | 3 | 4;
  frequency?: Frequency;
  minutesLost?: number;
  segment?: string;
}

type Extra = Pick<FrictionReport, 'key' | 'frequency' | 'minutesLost' | 'segment'>;

const c = (
  stage: string,
  severity: FrictionReport['severity'],
  title: string,
  description: string,
  extra: Extra = {},
): FrictionReport => ({
  title,
  description,
  stakeholder: 'customer',
  journey: 'customer',
  stage,
  severity,
  ...extra,
});
const e = (
  stage: string,
  severity: FrictionReport['severity'],
  title: string,
  description: string,
  extra: Extra = {},
): FrictionReport => ({
  title,
  description,
  stakeholder: 'employee',
  journey: 'employee',
  stage,
  severity,
  ...extra,
});
const p = (
  stage: string,
  severity: FrictionReport['severity'],
  title: string,
  description: string,
  extra: Extra = {},
): FrictionReport => ({
  title,
  description,
  stakeholder: 'partner',
  journey: 'partner',
  stage,
  severity,
  ...extra,
});

/** The pebbles the council story is built on, in the order they are first reported. */
export const KEY_REPORTS: FrictionReport[] = [
  c(
    'buy',
    3,
    'Promo code disappears when the card is declined',
    'After a declined card the checkout reloads and the promo code field is empty. Customers retype it, or give up and call us asking for the discount.',
    { key: 'promo-code', frequency: 'daily', minutesLost: 6, segment: 'Web shop' },
  ),
  c(
    'onboard',
    3,
    'Password reset email takes 20 minutes to arrive',
    'New subscribers who forget the password they just set wait up to 20 minutes for the reset email. Several open a chat in the meantime.',
    { key: 'password-reset', frequency: 'daily', minutesLost: 10 },
  ),
  c(
    'onboard',
    2,
    'Verification email lands in the spam folder for Outlook users',
    'Outlook and Hotmail put our "confirm your address" email in junk; the account stays unverified and the first box is not scheduled.',
    { key: 'verify-spam', frequency: 'daily', minutesLost: 5 },
  ),
  c(
    'use',
    2,
    'Gift card balance is only visible after adding it at checkout',
    'Customers who receive a gift card cannot see what is left on it without starting a purchase.',
    { key: 'gift-card', frequency: 'weekly', minutesLost: 3 },
  ),
  e(
    'equip',
    3,
    'New hires wait a week for a working laptop',
    'Laptops are ordered only after the contract is signed in HR, and provisioning takes five working days. New support agents shadow for a week without logins.',
    { key: 'laptop', frequency: 'weekly', minutesLost: 600 },
  ),
  p(
    'get-paid',
    3,
    'Payout statement cannot be exported to CSV',
    'Resellers copy their monthly payout statement line by line from a PDF into their accounting tool. Two partners asked for a CSV this month alone.',
    { key: 'payout-csv', frequency: 'monthly', minutesLost: 120 },
  ),
  e(
    'work',
    4,
    'Warehouse scanner app logs out mid-pick',
    'The handheld scanner app drops the session after 15 minutes of inactivity, even mid-pick. Pickers log in again with a 12-character password wearing gloves.',
    { key: 'scanner', frequency: 'hourly', minutesLost: 2 },
  ),
  c(
    'get-help',
    3,
    'Chat handover to a human loses the whole conversation',
    'When the bot hands a chat to an agent, the agent sees an empty thread and the customer has to explain everything again.',
    { key: 'chat-handover', frequency: 'hourly', minutesLost: 4 },
  ),
  c(
    'renew-or-leave',
    3,
    'Customers cannot see where their refund is',
    'Once a return is received, the refund status says "processing" for up to ten days with no date. Every second refund generates a "where is my money" ticket.',
    { key: 'refund-status', frequency: 'daily', minutesLost: 8 },
  ),
  e(
    'work',
    2,
    'Expense app rejects receipt photos taken on phones',
    'Receipts photographed with a phone come out over the 5 MB limit and the expense app refuses them without saying why.',
    { key: 'expense-receipts', frequency: 'weekly', minutesLost: 15 },
  ),
  p(
    'sell',
    3,
    'Deal registration accepts the same customer twice',
    'Two resellers registered the same school district within a day; both were approved and now both expect the commission.',
    { key: 'deal-registration', frequency: 'weekly', minutesLost: 45 },
  ),
  c(
    'get-help',
    1,
    'Help centre has no dark mode',
    'A few customers reading the help centre at night asked for a dark theme.',
    { key: 'dark-mode' },
  ),
  c(
    'onboard',
    2,
    'Welcome email arrives in English for German customers',
    'Customers who sign up on the .de shop get the welcome email and the first box instructions in English.',
    { key: 'welcome-language', frequency: 'daily', minutesLost: 3, segment: 'DACH' },
  ),
  e(
    'get-help',
    2,
    'Search in the admin console takes 30 seconds',
    'Looking up an order by email in the admin console takes half a minute at peak times; agents keep the customer waiting on the phone.',
    { key: 'admin-search', frequency: 'hourly', minutesLost: 1 },
  ),
  c(
    'buy',
    3,
    'Address autocomplete picks the wrong apartment number',
    'The autocomplete at checkout drops the apartment number for addresses with a slash (12/3). Parcels come back as undeliverable.',
    { key: 'address-autocomplete', frequency: 'daily', minutesLost: 20 },
  ),
];

/** A report that says a fixed pebble is back (reported again after it was resolved). */
export const RECURRENCE_REPORT: FrictionReport = c(
  'buy',
  3,
  'Promo code gone again after a declined card on Apple Pay',
  'Same as before the fix, but with Apple Pay: the card is declined, the page reloads and the discount code is empty.',
  { frequency: 'daily', minutesLost: 6 },
);

/** Two open reports that triage recognises as the same friction as an earlier one. */
export const DUPLICATE_REPORTS: { of: string; report: FrictionReport }[] = [
  {
    of: 'chat-handover',
    report: c(
      'get-help',
      3,
      'Agents cannot see what the chatbot already asked',
      'Picked up a chat from the bot and had nothing: no order number, no history. Customer was not happy.',
    ),
  },
  {
    of: 'refund-status',
    report: c(
      'renew-or-leave',
      2,
      'Refund page says "processing" with no date',
      'Customer asked three times this week when the refund lands; the page only says processing.',
    ),
  },
];

/** The everyday friction of a busy shop: roughly ten a week. */
export const EVERYDAY_REPORTS: FrictionReport[] = [
  c(
    'discover',
    2,
    'Size guide opens in a new tab and loses the filter',
    'On mobile the size guide opens a new tab; going back resets the filters.',
  ),
  c(
    'discover',
    1,
    'Search for "vegan" shows leather shoes first',
    'The search ranks by popularity before matching the vegan tag.',
  ),
  c(
    'discover',
    2,
    'Product photos load slowly on mobile data',
    'Full-size images are served to phones; the product page takes 8 seconds on 4G.',
    { frequency: 'hourly', minutesLost: 1 },
  ),
  c(
    'discover',
    1,
    'Newsletter pop-up covers the cookie banner',
    'Two overlays at once on the first visit; people close both and miss the cookie choice.',
  ),
  c(
    'discover',
    2,
    'Out-of-stock sizes are only shown after adding to cart',
    'Customers pick a size, add to cart and only then learn it is sold out.',
    { frequency: 'daily', minutesLost: 2 },
  ),
  c(
    'discover',
    1,
    'Comparison table cuts off the last column on tablets',
    'The subscription plan comparison hides the family plan on iPad portrait.',
  ),
  c(
    'discover',
    2,
    'Store locator shows a shop that closed in spring',
    'The Lyon pickup point still appears on the map; two customers went there.',
  ),
  c(
    'buy',
    3,
    'Checkout times out on slow mobile connections',
    'The payment step gives up after 10 seconds and the cart is emptied.',
    { frequency: 'daily', minutesLost: 10 },
  ),
  c(
    'buy',
    2,
    'Delivery date shown at checkout is a day early',
    'The estimate ignores the warehouse cut-off at 14:00.',
    { frequency: 'daily', minutesLost: 3 },
  ),
  c(
    'buy',
    3,
    'PayPal button does nothing in Firefox private windows',
    'Clicking PayPal in a private window shows a spinner forever.',
  ),
  c(
    'buy',
    2,
    'VAT number field rejects valid Irish numbers',
    'Business customers from Ireland cannot enter a VAT number with a letter at the end.',
    { segment: 'B2B' },
  ),
  c(
    'buy',
    2,
    'Shipping cost appears only on the last step',
    'Customers learn the shipping cost after entering their card; several abandon there.',
    { frequency: 'hourly', minutesLost: 1 },
  ),
  c(
    'buy',
    1,
    'Gift message limited to 80 characters without warning',
    'The text is silently cut off on the printed card.',
  ),
  c(
    'buy',
    3,
    'Card payment fails for customers with an accent in their name',
    'The payment provider rejects cardholder names with é or ü.',
    { frequency: 'daily', minutesLost: 8 },
  ),
  c(
    'buy',
    2,
    'Subscription checkout asks for the address twice',
    'Billing and delivery address are two full forms even when they are the same.',
  ),
  c(
    'onboard',
    2,
    'First box quiz cannot be skipped',
    'Customers who just want the standard box must answer twelve questions.',
  ),
  c(
    'onboard',
    2,
    'Account page in German still shows prices in pounds',
    'The .de shop shows GBP on the account overview until the page is refreshed.',
    { segment: 'DACH' },
  ),
  c(
    'onboard',
    1,
    'Order confirmation email has a broken logo',
    'The logo image points at the old CDN.',
  ),
  c(
    'onboard',
    2,
    'SMS delivery updates start only after the second order',
    'New customers miss the first delivery window notification.',
  ),
  c(
    'onboard',
    3,
    'Two-factor code email expires before it arrives',
    'The code is valid for five minutes; the email often takes six.',
    { frequency: 'daily', minutesLost: 7 },
  ),
  c(
    'use',
    2,
    'Skipping a month in the app also cancels the add-ons',
    'Customers skip one box and find their add-ons removed for good.',
  ),
  c(
    'use',
    2,
    'Tracking link opens the carrier homepage, not the parcel',
    'The tracking number is not passed to the carrier link.',
    { frequency: 'hourly', minutesLost: 1 },
  ),
  c(
    'use',
    1,
    'App forgets the chosen language after an update',
    'Every app update switches back to English.',
  ),
  c(
    'use',
    3,
    'Changing the delivery address for one box changes all future boxes',
    'Customers on holiday redirect one box and lose their home address.',
    { frequency: 'weekly', minutesLost: 20 },
  ),
  c(
    'use',
    2,
    'Reorder button ignores the size ordered last time',
    'Reordering picks the default size instead of the one in the previous order.',
  ),
  c(
    'use',
    2,
    'Loyalty points take a week to appear',
    'Customers ask why their points are missing after a purchase.',
    { frequency: 'daily', minutesLost: 4 },
  ),
  c(
    'use',
    1,
    'Wishlist is emptied when logging in on a new device',
    'Items saved while logged out are not merged into the account.',
  ),
  c(
    'get-help',
    3,
    'Phone menu sends returns questions to the sales line',
    'Option 3 says "returns" but rings the sales team, who transfer every call.',
    { frequency: 'hourly', minutesLost: 3 },
  ),
  c(
    'get-help',
    2,
    'Contact form drops attachments over 2 MB silently',
    'Customers attach a photo of the damaged item; we never receive it.',
    { frequency: 'daily', minutesLost: 6 },
  ),
  c(
    'get-help',
    2,
    'Help article on returns still mentions the old 14-day window',
    'The policy changed to 30 days but the most read article says 14.',
  ),
  c(
    'get-help',
    3,
    'Customers wait on hold with no position in the queue',
    'The hold music never says how long the wait is; most hang up after 4 minutes.',
    { frequency: 'hourly', minutesLost: 4 },
  ),
  c(
    'get-help',
    2,
    'Chat widget covers the "add to cart" button on small phones',
    'On a 5-inch screen the chat bubble sits on top of the button.',
  ),
  c(
    'get-help',
    1,
    'Satisfaction survey is sent before the ticket is solved',
    'The survey email arrives after the first reply, not after the solution.',
  ),
  c(
    'renew-or-leave',
    3,
    'Cancelling a subscription requires a phone call',
    'There is no cancel button in the account; customers must call, and some file a chargeback instead.',
    { frequency: 'daily', minutesLost: 12 },
  ),
  c(
    'renew-or-leave',
    2,
    'Renewal reminder arrives after the card was charged',
    'The yearly plan reminder is sent on the renewal day, not a week before.',
  ),
  c(
    'renew-or-leave',
    2,
    'Return label only printable, no QR code option',
    'Customers without a printer cannot return an item.',
    { frequency: 'daily', minutesLost: 15 },
  ),
  c(
    'renew-or-leave',
    2,
    'Pause subscription maximum is one month',
    'Customers travelling for six weeks cancel instead of pausing.',
  ),
  c(
    'renew-or-leave',
    1,
    'Exit survey asks for the reason twice',
    'The cancellation flow asks "why are you leaving" on two pages.',
  ),
  c(
    'renew-or-leave',
    3,
    'Invoice PDF shows the old company address',
    'B2B customers cannot book invoices with our old address; finance reissues them by hand.',
    { frequency: 'weekly', minutesLost: 30, segment: 'B2B' },
  ),
  e(
    'join',
    2,
    'Offer letter and contract ask for the same data twice',
    'New hires fill in their bank details in two different portals.',
  ),
  e(
    'join',
    2,
    'First-day schedule is sent the evening before',
    'New hires do not know where to go until 20:00 the night before.',
  ),
  e(
    'join',
    1,
    'Onboarding buddy is assigned after the first week',
    'Buddies are matched in the weekly HR meeting, so the first week is alone.',
  ),
  e(
    'equip',
    3,
    'Support agents wait two days for a Zendesk seat',
    'Seats are approved by finance once a week.',
    { frequency: 'weekly', minutesLost: 480 },
  ),
  e(
    'equip',
    2,
    'Shared mailbox access needs three tickets',
    'One ticket per mailbox, each approved by a different manager.',
    { frequency: 'weekly', minutesLost: 30 },
  ),
  e(
    'equip',
    2,
    'VPN client does not install on the new MacBooks',
    'IT has to install it manually for every new laptop.',
  ),
  e(
    'work',
    3,
    'Refund over 50 euros needs a supervisor in another time zone',
    'Agents in Lisbon wait for approval from Toronto, overnight.',
    { frequency: 'daily', minutesLost: 25 },
  ),
  e(
    'work',
    2,
    'Order lookup and CRM show different customer emails',
    'The two systems sync once a night; agents check both.',
    { frequency: 'hourly', minutesLost: 1 },
  ),
  e(
    'work',
    2,
    'Pick list is sorted by order, not by shelf',
    'Pickers cross the warehouse several times per batch.',
    { frequency: 'hourly', minutesLost: 3 },
  ),
  e(
    'work',
    3,
    'Label printer in packing station 4 jams every morning',
    'Someone has to fix it before the first wave; packing starts 20 minutes late.',
    { frequency: 'daily', minutesLost: 20 },
  ),
  e(
    'work',
    2,
    'Macros in the helpdesk still link to the old returns policy',
    'Agents edit every macro reply by hand.',
    { frequency: 'hourly', minutesLost: 1 },
  ),
  e(
    'work',
    2,
    'Sales quote tool rounds VAT differently from the invoice',
    'Customers get a quote that differs by a few cents from the invoice.',
  ),
  e(
    'work',
    1,
    'Meeting rooms cannot be booked from the phone calendar',
    'The room list only appears in the desktop app.',
  ),
  e(
    'work',
    2,
    'Stock count app crashes on shelves with more than 99 items',
    'The count has to be redone on paper.',
    { frequency: 'weekly', minutesLost: 40 },
  ),
  e(
    'get-help',
    2,
    'IT tickets get no first answer for two days',
    'Password and access issues sit unassigned in the general queue.',
    { frequency: 'daily', minutesLost: 10 },
  ),
  e(
    'get-help',
    1,
    'HR policy search returns the 2023 handbook first',
    'The old handbook ranks above the current one.',
  ),
  e(
    'get-help',
    2,
    'Payroll questions go to a mailbox nobody reads on Fridays',
    'Questions sent on Friday wait until Tuesday.',
  ),
  e(
    'grow',
    1,
    'Training budget form needs a manager who left',
    'The form still routes approvals to the former head of support.',
  ),
  e(
    'grow',
    2,
    'Internal job postings are only on the intranet homepage',
    'Warehouse staff without a desk never see them.',
  ),
  e(
    'grow',
    1,
    'Performance review tool logs out after 10 minutes',
    'Long reviews are lost when the session expires.',
  ),
  p(
    'apply',
    2,
    'Partner application asks for documents already sent by email',
    'Applicants upload their trade register extract twice.',
  ),
  p(
    'apply',
    2,
    'Partner approval takes three weeks with no status',
    'Applicants email the partner team weekly to ask.',
    { frequency: 'weekly', minutesLost: 20 },
  ),
  p(
    'integrate',
    3,
    'Product feed for resellers misses the new colours',
    'The nightly feed only exports the first colour of each product.',
    { frequency: 'daily', minutesLost: 30 },
  ),
  p(
    'integrate',
    2,
    'API keys for the partner portal expire without warning',
    'Reseller shops stop showing stock overnight.',
  ),
  p(
    'integrate',
    2,
    'Sandbox orders show up in the real warehouse queue',
    'Test orders from a new partner were picked and shipped.',
  ),
  p(
    'sell',
    2,
    'Partner price list is a PDF updated monthly',
    'Resellers quote outdated prices in the second half of the month.',
    { frequency: 'weekly', minutesLost: 30 },
  ),
  p(
    'sell',
    2,
    'Marketing kit images have our old logo',
    'Resellers ask for new images every campaign.',
  ),
  p(
    'sell',
    1,
    'Partner portal dashboard shows last month by default',
    'Every login starts with the wrong month selected.',
  ),
  p(
    'sell',
    3,
    'Stock levels in the partner portal lag by a day',
    'Resellers sell items that went out of stock yesterday.',
    { frequency: 'daily', minutesLost: 25 },
  ),
  p(
    'get-paid',
    2,
    'Commission report rounds to whole euros',
    'Partners reconcile cents by hand every month.',
    { frequency: 'monthly', minutesLost: 60 },
  ),
  p(
    'get-paid',
    3,
    'Payouts to Swiss partners bounce because of the IBAN format',
    'The payout run rejects IBANs with spaces; Swiss partners get paid a week late.',
  ),
  p(
    'get-paid',
    2,
    'Credit notes are not shown in the partner statement',
    'Returns reduce the payout but the statement does not say why.',
  ),
  p(
    'get-help',
    2,
    'Partner support line has the same hours as customer support',
    'Resellers in the US cannot reach us in their morning.',
  ),
  p(
    'get-help',
    1,
    'Partner FAQ links to a page that needs a customer login',
    'Resellers are asked to create a customer account to read it.',
  ),
  p(
    'get-help',
    2,
    'Partner tickets are answered by the customer team',
    'Resellers get replies about consumer returns to questions about bulk orders.',
  ),
  c(
    'buy',
    2,
    'Apple Pay missing on the subscription checkout',
    'Available for one-off orders but not for subscriptions.',
  ),
  c(
    'use',
    2,
    'Push notification for delivery arrives after the parcel',
    'The "out for delivery" push comes an hour after the courier rang.',
  ),
  c(
    'get-help',
    2,
    'Chatbot answers "I did not understand" to order numbers',
    'Customers paste their order number and the bot loops.',
    { frequency: 'hourly', minutesLost: 2 },
  ),
  e(
    'work',
    2,
    'Two logins for the warehouse tablet and the time clock',
    'Shift workers sign in twice at the start of each shift.',
    { frequency: 'daily', minutesLost: 3 },
  ),
  c(
    'renew-or-leave',
    2,
    'Refund goes to an expired card with no way to change it',
    'Customers with a new card wait for the bank to forward the money.',
  ),
  p(
    'integrate',
    2,
    'Partner webhook retries flood the reseller shop',
    'A failed webhook is retried every second for an hour.',
  ),
  e(
    'equip',
    1,
    'Headsets for new agents ordered in the wrong plug type',
    'UK plugs shipped to the Lisbon office.',
  ),
  c(
    'discover',
    2,
    'Filters reset when switching between grid and list view',
    'Shoppers lose their filters every time they change the layout.',
  ),
  c(
    'onboard',
    1,
    'Welcome discount code is in a picture, not text',
    'Customers cannot copy it and mistype it.',
  ),
];

/** Why triage declines a pebble, a few of which fit most everyday reports. */
export const DECLINE_REASONS = [
  'Works as designed: the legal team requires this step for now.',
  'The vendor is replacing this tool next quarter; not worth fixing the old one.',
  'Could not reproduce on the current version; please report again with a screenshot.',
  'Covered by the checkout redesign already under way.',
];
