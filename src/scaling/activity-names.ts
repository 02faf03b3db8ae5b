// The predictive-scaling orchestration's and activities' names, declared once: functions/scaling.ts
// registers exactly these and orchestrations/predictive-scaling.ts calls them through these
// constants. A small module of its own, so registering does not load the scaling engine.
export const SCALING_ORCHESTRATION = 'predictiveScaling';

export const SCALING_ACTIVITY = {
  forecast: 'scalingForecastPool',
  apply: 'scalingApplyMinCount',
  record: 'scalingRecordDecision',
} as const;
