// Preload (node -r) that answers require('@azure/functions-core') the way the Functions worker
// does, so @azure/functions leaves test mode and hands every registration, with its real
// metadata and handler, to registerFunction. Registrations are kept on globalThis.__aksopsRegistrations.
const Module = require('node:module');

const registrations = [];
globalThis.__aksopsRegistrations = registrations;
const core = {
  version: '4.0.0-test',
  hostVersion: '4.0.0-test',
  registerFunction(metadata, callback) {
    registrations.push({ metadata, callback });
    return { dispose() {} };
  },
  setProgrammingModel() {},
  getProgrammingModel() {
    return undefined;
  },
  registerHook() {
    return { dispose() {} };
  },
  log() {},
};
const originalLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  if (request === '@azure/functions-core') return core;
  return originalLoad.call(this, request, parent, isMain);
};
