// Microsoft Teams: an Adaptive Card in a message envelope, the format both the Workflows app
// ("Post to a channel when a webhook request is received") and the classic incoming webhook
// accept (msteams-docs, "Send Adaptive Cards using an Incoming Webhook"):
//   {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
//     "contentUrl": null, "content": {"$schema": ".../adaptive-card.json", "type": "AdaptiveCard",
//     "version": "1.4", "body": [...], "actions": [{"type": "Action.OpenUrl", ...}]}}]}
// Only Action.OpenUrl: a webhook card cannot call back into the app, so approve/reject open
// the app's confirmation pages (which POST with the user's Easy Auth session).
import type { NotificationMessage } from './message.js';

const COLOR: Record<NotificationMessage['severity'], string> = { info: 'Good', warning: 'Warning', critical: 'Attention' };

export function teamsPayload(m: NotificationMessage): object {
  const body: object[] = [
    { type: 'TextBlock', text: m.title, weight: 'Bolder', size: 'Medium', color: COLOR[m.severity], wrap: true },
    { type: 'TextBlock', text: m.summary, wrap: true },
    { type: 'FactSet', facts: m.facts.map((f) => ({ title: f.name, value: f.value })) },
  ];
  if (m.steps.length > 0) {
    body.push({ type: 'TextBlock', text: 'Plan', weight: 'Bolder', wrap: true });
    body.push({ type: 'TextBlock', text: m.steps.map((s) => `- ${s}`).join('\n'), wrap: true });
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          ...(m.links.length ? { actions: m.links.map((l) => ({ type: 'Action.OpenUrl', title: l.title, url: l.url })) } : {}),
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}
