// Slack incoming webhook (api.slack.com/messaging/webhooks): POST {text, blocks}; `text` is the
// notification fallback, blocks use Block Kit (header, section with mrkdwn fields, actions with
// url buttons). Slack answers 200 "ok"; 400 invalid_payload, 403 action_prohibited, 404
// no_service/channel_not_found, 410 channel_is_archived are final, 429 carries Retry-After.
import type { NotificationMessage } from './message.js';

const ICON: Record<NotificationMessage['severity'], string> = { info: ':white_check_mark:', warning: ':warning:', critical: ':rotating_light:' };

/** Slack mrkdwn escapes (&, <, >) so text cannot inject links or mentions. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackPayload(m: NotificationMessage): object {
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: m.title.slice(0, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: `${ICON[m.severity]} ${slackEscape(m.summary)}`.slice(0, 3000) } },
    {
      type: 'section',
      fields: m.facts.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: `*${slackEscape(f.name)}*\n${slackEscape(f.value)}`.slice(0, 2000) })),
    },
  ];
  if (m.steps.length > 0)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Plan*\n${m.steps.map((s) => `• ${slackEscape(s)}`).join('\n')}`.slice(0, 3000) } });
  if (m.links.length > 0) {
    blocks.push({
      type: 'actions',
      elements: m.links.map((l, i) => ({
        type: 'button',
        text: { type: 'plain_text', text: l.title },
        url: l.url,
        action_id: `link-${i}`,
        ...(l.title === 'Approve' ? { style: 'primary' } : l.title === 'Reject' ? { style: 'danger' } : {}),
      })),
    });
  }
  return { text: slackEscape(`${m.title}: ${m.summary}`).slice(0, 3000), blocks };
}
