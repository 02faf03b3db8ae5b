// Attack (#12 item 1 and 3, deployment side): the budget action group held the host default key
// (it opens every authLevel-function route), the webhook's bearer token could be left empty in
// production, and Easy Auth was not provisioned. Read from the Bicep itself (tree-sitter model).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { evaluate, type BicepModel, type ResourceDecl } from '../bicep/model.js';
import { loadProject } from '../bicep/project.js';
import { text as asText } from '../../src/domain/text.js';

const project = await loadProject();
const app = project.model('modules/functionapp.bicep');
const main = project.model('main.bicep');
const budgets = project.model('modules/budgets.bicep');

function resource(m: BicepModel, fullType: string): ResourceDecl {
  const found = m.resources.filter((r) => r.fullType === fullType && !r.existing);
  if (found.length !== 1) throw new Error(`${m.path}: expected one ${fullType}, found ${found.length}`);
  return found[0]!;
}

describe('attack: one leaked key opens everything', () => {
  it('the action group gets the budget webhook function key, which is the function registered in functions/budgets.ts', () => {
    const text = readFileSync(new URL('../../bicep/modules/budgets.bicep', import.meta.url), 'utf8');
    expect(text).not.toMatch(/listKeys\([^)]*host\/default/);
    expect(text).toContain("listKeys('${site.id}/functions/${budgetWebhookFunctionName}'");
    const fn = evaluate(budgets.params.get('budgetWebhookFunctionName')?.defaultValue, { model: budgets });
    expect(readFileSync(new URL('../../functions/budgets.ts', import.meta.url), 'utf8')).toContain(`clientHttp('${asText(fn)}'`);
  });

  it('Easy Auth (authsettingsV2) requires sign-in with Entra ID and excludes exactly the two webhook routes', () => {
    const auth = app.resources.find((r) => r.fullType === 'Microsoft.Web/sites/config' && (r.body?.text ?? '').includes('authsettingsV2'));
    expect(auth, 'an authsettingsV2 config resource').toBeDefined();
    const body = auth!.body?.text ?? '';
    expect(body).toMatch(/requireAuthentication: true/);
    expect(body).toMatch(/unauthenticatedClientAction: 'Return401'/);
    expect(evaluate(app.params.get('easyAuthExcludedPaths')?.defaultValue, { model: app })).toEqual(['/api/alerts/alertmanager', '/api/budgets/webhook']);
    expect(readFileSync(new URL('../../bicep/modules/functionapp.bicep', import.meta.url), 'utf8')).toMatch(/RUNBOOKS_AUTH: 'easy-auth'/);
    expect(resource(app, 'Microsoft.Web/sites')).toBeDefined();
  });

  it('the app registration with the Approver and Operator app roles is created by the preprovision hook, which also refuses prod without a webhook credential', () => {
    const hook = readFileSync(new URL('../../bicep/hooks/preprovision.sh', import.meta.url), 'utf8');
    expect(hook).toMatch(/"value": "Approver"/);
    expect(hook).toMatch(/"value": "Operator"/);
    expect(hook).toMatch(/AKSOPS_ENVIRONMENT_KIND=prod needs an Alertmanager webhook credential/);
    expect(readFileSync(new URL('../../azure.yaml', import.meta.url), 'utf8')).toMatch(
      /preprovision:\s+posix:\s+shell: sh\s+run: \.\/bicep\/hooks\/preprovision\.sh/,
    );
  });

  it('a direct Bicep deployment of prod without a webhook credential fails (the check is referenced, so ARM evaluates it)', () => {
    const text = readFileSync(new URL('../../bicep/main.bicep', import.meta.url), 'utf8');
    expect(text).toMatch(
      /var webhookCredentialMissing = environmentKind == 'prod' && empty\(alertmanagerWebhookTokenSecretName\) && empty\(alertmanagerWebhookPasswordSecretName\)/,
    );
    expect(text).toMatch(/maximumInstanceCount: functionAppMaximumInstanceCount \+ webhookCredentialCheck \+ basicAuthCheck/);
    expect(main.params.has('easyAuthClientId')).toBe(true);
  });
});
