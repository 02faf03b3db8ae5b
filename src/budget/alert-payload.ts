// The payload an Azure Monitor action group POSTs to a webhook when a cost budget alert fires:
// schemaId "AIP Budget Notification" (it is not the common alert schema, even when the action
// group has useCommonAlertSchema set). Shape from the Azure Monitor docs sample
// (MicrosoftDocs azure-monitor alerts-non-common-schema-definitions, "Actual Cost Budget or
// Forecasted Budget"): every value is a string, e.g. {"SpendingAmount": "1111.32", "Budget":
// "10000", "Unit": "USD", "NotificationThresholdAmount": "8000.0", "ResourceGroup": "test-RG"}.
// Older samples show NotificationThresholdAmount as a fraction ("0.8"), so it is kept raw.
// Unknown fields are accepted. The payload only triggers an evaluation: what acts is our own
// reading of Cost Management, never the numbers in a request.

export const BUDGET_SCHEMA_ID = 'AIP Budget Notification';

export interface BudgetNotification {
  budgetName: string;
  subscriptionId: string;
  /** '' for a subscription-scoped budget. */
  resourceGroup: string;
  spendingAmount: number | null;
  budgetAmount: number | null;
  unit: string;
  /** As sent: an amount or a fraction, depending on the sender's version. */
  notificationThreshold: string;
  budgetStartDate: string;
  budgetType: string;
}

export class BudgetPayloadError extends Error {
  override name = 'BudgetPayloadError';
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function text(data: Record<string, unknown>, field: string, required: boolean, max = 256): string {
  const v = data[field];
  if (v === undefined || v === null) {
    if (required) throw new BudgetPayloadError(`data.${field}: missing. Fix: send the Azure budget notification payload (schemaId "${BUDGET_SCHEMA_ID}")`);
    return '';
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw new BudgetPayloadError(`data.${field}: expected a string`);
  const s = String(v);
  if (s.length > max) throw new BudgetPayloadError(`data.${field}: longer than ${max} characters`);
  // eslint-disable-next-line no-control-regex -- finding control characters is the point of this check
  if (/[\u0000-\u001f]/.test(s)) throw new BudgetPayloadError(`data.${field}: contains control characters`);
  return s;
}

function amount(data: Record<string, unknown>, field: string): number | null {
  const s = text(data, field, false, 64).trim();
  if (s === '') return null;
  if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(s)) throw new BudgetPayloadError(`data.${field}: "${s}" is not a number`);
  return Number(s);
}

/** Parses and checks a budget notification (already JSON-parsed). Throws BudgetPayloadError naming the field. */
export function parseBudgetNotification(body: unknown): BudgetNotification {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BudgetPayloadError('body: expected a JSON object');
  const b = body as Record<string, unknown>;
  if (b['schemaId'] !== BUDGET_SCHEMA_ID) {
    throw new BudgetPayloadError(
      `schemaId: expected "${BUDGET_SCHEMA_ID}", got ${JSON.stringify(b['schemaId'] ?? null)}. Fix: point only cost budget alerts' action groups at this endpoint`,
    );
  }
  const data = b['data'];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new BudgetPayloadError('data: expected an object');
  const d = data as Record<string, unknown>;
  const subscriptionId = text(d, 'SubscriptionId', true, 64);
  if (!GUID.test(subscriptionId)) throw new BudgetPayloadError(`data.SubscriptionId: "${subscriptionId}" is not a subscription ID`);
  const budgetName = text(d, 'BudgetName', true, 63);
  if (budgetName === '') throw new BudgetPayloadError('data.BudgetName: empty');
  return {
    budgetName,
    subscriptionId: subscriptionId.toLowerCase(),
    resourceGroup: text(d, 'ResourceGroup', false, 90),
    spendingAmount: amount(d, 'SpendingAmount'),
    budgetAmount: amount(d, 'Budget'),
    unit: text(d, 'Unit', false, 16),
    notificationThreshold: text(d, 'NotificationThresholdAmount', false, 64),
    budgetStartDate: text(d, 'BudgetStartDate', false, 64),
    budgetType: text(d, 'BudgetType', false, 32),
  };
}

/** The configured budgets an Azure budget notification is about: same name, or same scope. */
export function matchBudgets<B extends { name: string; scope: { subscriptionId: string; resourceGroup?: string } }>(n: BudgetNotification, budgets: B[]): B[] {
  const byName = budgets.filter((b) => b.name.toLowerCase() === n.budgetName.toLowerCase());
  if (byName.length > 0) return byName;
  return budgets.filter(
    (b) => b.scope.subscriptionId.toLowerCase() === n.subscriptionId && (b.scope.resourceGroup ?? '').toLowerCase() === n.resourceGroup.toLowerCase(),
  );
}
