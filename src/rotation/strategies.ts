// The four rotation strategies: how a new credential is made provider-side, how it is tested,
// what is retired after a verified switch and what is undone after a rollback. Each works on
// the *inactive* slot only (the role, key or password consumers do not use), so repeating a step
// after a crash never touches the credential consumers still use.
//
//   random                      new random value; nothing provider-side
//   postgres-alternating-users  ALTER ROLE <inactive role> PASSWORD ...; login test; the previously
//                               active role keeps working until the next cycle changes it
//   redis-acl                   ACL SETUSER u >new; login test; at promote <old (and orphans)
//   storage-account-key         regenerateKey(<inactive key>); the old key keeps working until
//                               the next cycle regenerates it
import type { PostgresAdmin, PostgresServer } from '../adapters/postgres-admin.js';
import type { RedisAdmin, RedisServer } from '../adapters/redis-admin.js';
import type { KeyName, StorageAccountRef, StorageKeys } from '../adapters/storage-keys.js';
import type { RotationStrategyName } from '../config/rotation-schema.js';
import { decodeUserPassword, encodeUserPassword, fingerprint, randomValue, type EnrolledSecret } from './model.js';

/** Provider-side clients; admin passwords are read from Key Vault by the caller. */
export interface Providers {
  postgres(server: PostgresServer, adminUser: string, adminPassword: string): PostgresAdmin;
  redis(server: RedisServer, adminUser: string, adminPassword: string): RedisAdmin;
  storage(): StorageKeys;
}

export interface Credential {
  value: string;
  /** Label kept in the aksops-credential tag: role, key name, password fingerprint. */
  credential: string;
}

export interface StrategyContext {
  secret: EnrolledSecret;
  providers: Providers;
  /** Reads a Key Vault secret's latest value (admin passwords). */
  adminPassword(secretName: string): Promise<string>;
  /** Values the activity handled, scrubbed from any error it throws. */
  remember(value: string): void;
}

export interface Strategy {
  contentType: string;
  /** The credential label of a stored value (when a version has no aksops-credential tag). */
  label(ctx: StrategyContext, value: string): Promise<string>;
  /** A new credential in the inactive slot, valid provider-side when this returns. */
  create(ctx: StrategyContext, current: Credential): Promise<Credential & { detail: string }>;
  /** Provider-side login with the credential; throws when it does not work. */
  test(ctx: StrategyContext, c: Credential): Promise<void>;
  /** After promote: retire what the strategy retires. Returns detail and warnings. */
  retire(ctx: StrategyContext, next: Credential, old: Credential): Promise<{ detail: string; warnings: string[] }>;
  /** After a rollback's consumers are back on `kept`: undo the failed credential (by its label) where possible. */
  revert(ctx: StrategyContext, failedLabel: string, kept: Credential): Promise<string>;
  /** What create would do (dry-run). */
  describe(ctx: StrategyContext, current: Credential): Promise<string>;
}

const random: Strategy = {
  contentType: 'text/plain',
  label: async () => 'random',
  async create(ctx) {
    const value = randomValue(ctx.secret.random);
    ctx.remember(value);
    return { value, credential: 'random', detail: `new random value (${ctx.secret.random.length} characters, ${ctx.secret.random.alphabet})` };
  },
  test: async () => undefined,
  retire: async () => ({ detail: 'nothing to retire (application secret)', warnings: [] }),
  revert: async () => 'nothing to undo (application secret)',
  describe: async (ctx) => `would store a new random value (${ctx.secret.random.length} characters) as a pending version`,
};

function pg(ctx: StrategyContext) {
  const c = ctx.secret.postgres;
  if (!c) throw new Error(`secret ${ctx.secret.name}: postgres settings are missing`);
  return c;
}

async function pgAdmin(ctx: StrategyContext): Promise<PostgresAdmin> {
  const c = pg(ctx);
  const admin = await ctx.adminPassword(c.adminSecret);
  ctx.remember(admin);
  return ctx.providers.postgres({ host: c.host, port: c.port, database: c.database, sslmode: c.sslmode }, c.adminUser, admin);
}

function inactiveRole(ctx: StrategyContext, current: Credential): string {
  const [a, b] = pg(ctx).roles;
  const active = decodeUserPassword(current.value, ctx.secret.name).username;
  if (active !== a && active !== b)
    throw new Error(
      `secret ${ctx.secret.name}: the current credential is for role ${active}, which is not one of the configured roles ${a}, ${b}. Fix: store the credential of ${a} or ${b}, or correct postgres.roles`,
    );
  return active === a ? b : a;
}

const postgres: Strategy = {
  contentType: 'application/json',
  label: async (ctx, value) => decodeUserPassword(value, ctx.secret.name).username,
  async create(ctx, current) {
    const role = inactiveRole(ctx, current);
    const password = randomValue({
      length: Math.max(ctx.secret.random.length, 32),
      alphabet: ctx.secret.random.alphabet === 'ascii-printable' ? 'alphanumeric' : ctx.secret.random.alphabet,
    });
    ctx.remember(password);
    const admin = await pgAdmin(ctx);
    await admin.setPassword(role, password);
    await admin.testLogin(role, password);
    const value = encodeUserPassword({ username: role, password });
    ctx.remember(value);
    return { value, credential: role, detail: `new password for the inactive role ${role} (login tested)` };
  },
  async test(ctx, c) {
    const u = decodeUserPassword(c.value, ctx.secret.name);
    await (await pgAdmin(ctx)).testLogin(u.username, u.password);
  },
  retire: async (_ctx, _next, old) => ({ detail: `role ${old.credential} keeps its password until the next cycle changes it`, warnings: [] }),
  revert: async (_ctx, failed) => `role ${failed} is unused; its password changes again on the next cycle`,
  describe: async (ctx, current) => `would set a new password on the inactive role ${inactiveRole(ctx, current)} and switch the secret to it`,
};

function rd(ctx: StrategyContext) {
  const c = ctx.secret.redis;
  if (!c) throw new Error(`secret ${ctx.secret.name}: redis settings are missing`);
  return c;
}

async function redisAdmin(ctx: StrategyContext): Promise<RedisAdmin> {
  const c = rd(ctx);
  const admin = await ctx.adminPassword(c.adminSecret);
  ctx.remember(admin);
  return ctx.providers.redis({ host: c.host, port: c.port, tls: c.tls }, c.adminUser, admin);
}

const redis: Strategy = {
  contentType: 'application/json',
  label: async (ctx, value) => fingerprint(decodeUserPassword(value, ctx.secret.name).password),
  async create(ctx) {
    const user = rd(ctx).user;
    const password = randomValue({ length: Math.max(ctx.secret.random.length, 32), alphabet: ctx.secret.random.alphabet });
    ctx.remember(password);
    const admin = await redisAdmin(ctx);
    await admin.addPassword(user, password);
    await admin.testLogin(user, password);
    const value = encodeUserPassword({ username: user, password });
    ctx.remember(value);
    return { value, credential: fingerprint(password), detail: `added a second password to ACL user ${user} (login tested)` };
  },
  async test(ctx, c) {
    const u = decodeUserPassword(c.value, ctx.secret.name);
    await (await redisAdmin(ctx)).testLogin(u.username, u.password);
  },
  async retire(ctx, next, old) {
    const user = rd(ctx).user;
    const admin = await redisAdmin(ctx);
    const n = decodeUserPassword(next.value, ctx.secret.name).password;
    const o = decodeUserPassword(old.value, ctx.secret.name).password;
    if (o !== n) await admin.removePassword(user, o);
    const orphans = await admin.keepOnly(user, [n]);
    return { detail: `removed the previous password of ACL user ${user}${orphans > 0 ? ` and ${orphans} orphaned one(s)` : ''}`, warnings: [] };
  },
  async revert(ctx, _failed, kept) {
    const user = rd(ctx).user;
    const k = decodeUserPassword(kept.value, ctx.secret.name).password;
    const removed = await (await redisAdmin(ctx)).keepOnly(user, [k]);
    return `removed ${removed} password(s) other than the restored one from ACL user ${user}`;
  },
  describe: async (ctx) => `would add a second password to ACL user ${rd(ctx).user}, roll consumers, verify, then remove the old one`,
};

function st(ctx: StrategyContext): StorageAccountRef {
  const c = ctx.secret.storage;
  if (!c) throw new Error(`secret ${ctx.secret.name}: storage settings are missing`);
  return c;
}

async function keyNameOf(ctx: StrategyContext, value: string): Promise<KeyName> {
  const keys = await ctx.providers.storage().list(st(ctx));
  for (const k of keys) ctx.remember(k.value);
  const k = keys.find((x) => x.value === value);
  if (!k)
    throw new Error(
      `secret ${ctx.secret.name}: the stored key is neither key1 nor key2 of ${st(ctx).accountName} (regenerated outside this app?). Fix: store the current key1 or key2 value`,
    );
  return k.keyName;
}

const storage: Strategy = {
  contentType: 'text/plain',
  label: keyNameOf,
  async create(ctx, current) {
    const active = current.credential === 'key1' || current.credential === 'key2' ? current.credential : await keyNameOf(ctx, current.value);
    const inactive: KeyName = active === 'key1' ? 'key2' : 'key1';
    const value = await ctx.providers.storage().regenerate(st(ctx), inactive);
    ctx.remember(value);
    return { value, credential: inactive, detail: `regenerated the inactive key ${inactive} of ${st(ctx).accountName}` };
  },
  async test(ctx, c) {
    const keys = await ctx.providers.storage().list(st(ctx));
    for (const k of keys) ctx.remember(k.value);
    if (!keys.some((k) => k.keyName === c.credential && k.value === c.value))
      throw new Error(`${st(ctx).accountName}: ${c.credential} no longer matches the stored value`);
  },
  retire: async (_ctx, _next, old) => ({ detail: `${old.credential} keeps working until the next cycle regenerates it`, warnings: [] }),
  async revert(ctx, failed, kept) {
    if ((failed !== 'key1' && failed !== 'key2') || failed === kept.credential) return 'nothing to undo';
    const v = await ctx.providers.storage().regenerate(st(ctx), failed);
    ctx.remember(v);
    return `regenerated ${failed} again so the failed key no longer works`;
  },
  describe: async (ctx, current) => `would regenerate the inactive key of ${st(ctx).accountName} (active: ${current.credential})`,
};

export const STRATEGIES: Record<RotationStrategyName, Strategy> = {
  random,
  'postgres-alternating-users': postgres,
  'redis-acl': redis,
  'storage-account-key': storage,
};
