// The function app's entry point (package.json "main"): importing a module registers its
// functions. Keep imports here light: SDKs are loaded lazily where they are used (cold start
// is benchmarked: npm run bench -- coldstart).
import './alertmanager-webhook.js';
import './audit.js';
import './control.js';
import './remediation.js';
import './scaling.js';
import './runbooks.js';
import './rotation.js';
import './budgets.js';
import './backup.js';
import './windows.js';
