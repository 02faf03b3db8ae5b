// The window gate activity's name, declared once: functions/windows.ts registers it and
// orchestrations/window-gate.ts calls it. A module of its own, so registering loads no policy code.
export const WINDOW_GATE_ACTIVITY = 'windowGate';
