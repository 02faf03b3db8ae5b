// Microsoft.Authorization permissions (List For Resource Group / List For Resource, api-version
// 2022-04-01, azure-rest-api-specs authorization Permissions_ListForResourceGroup /
// Permissions_ListForResource): the caller's effective permissions at a scope, as one entry
// {actions, notActions, dataActions, notDataActions}. The fake answers with what arm.policy holds
// (the same list it authorizes requests against), split into actions and data actions, so
// `aksops doctor` sees exactly what the app could do. The SDK sends an empty parentResourcePath
// as "//" (ARM accepts it), so both spellings are routed.
import { isDataAction } from '../../../src/permissions/azure.js';
import type { ArmRequest, FakeArm } from './server.js';

export function installPermissions(arm: FakeArm): void {
  const answer = (req: ArmRequest) => {
    const held = arm.policy ?? ['*'];
    return arm.page(req, [
      { actions: held.filter((o) => !isDataAction(o)), notActions: [], dataActions: held.filter((o) => isDataAction(o)), notDataActions: [] },
    ]);
  };
  const RG = '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}';
  arm.route('GET', `${RG}/providers/Microsoft.Authorization/permissions`, answer);
  arm.route('GET', `${RG}/providers/{namespace}/{type}/{name}/providers/Microsoft.Authorization/permissions`, answer);
  arm.route('GET', `${RG}/providers/{namespace}//{type}/{name}/providers/Microsoft.Authorization/permissions`, answer);
}
