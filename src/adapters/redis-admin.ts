// Redis ACL administration for the redis-acl rotation, through node-redis (`redis`, loaded
// lazily). Redis ACL users hold several passwords at once (ACL SETUSER docs: ">password" adds a
// password to the user's list, "<password" removes it, "!<hash>" removes a password by its
// SHA-256 hex, ACL GETUSER lists the hashes under "passwords"), which is what makes a rotation
// without downtime possible: add the new one, roll consumers, verify, remove the old one.
// Every argument is sent as its own RESP bulk string (sendCommand), so nothing is parsed or
// quoted. Redis redacts ACL SETUSER / AUTH arguments in SLOWLOG and MONITOR.
import { createHash } from 'node:crypto';

export interface RedisServer {
  host: string;
  port: number;
  tls: boolean;
}

export interface RedisAdmin {
  addPassword(user: string, password: string): Promise<void>;
  removePassword(user: string, password: string): Promise<void>;
  /** Removes every password of `user` whose hash is not one of `keep`'s: orphans of interrupted runs. */
  keepOnly(user: string, keep: string[]): Promise<number>;
  testLogin(user: string, password: string): Promise<void>;
}

export class RedisAdminError extends Error {
  override name = 'RedisAdminError';
}

const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest('hex');

/** The password hashes of an ACL GETUSER reply: a flat RESP2 array or a map (node-redis type mapping). null = no such user. */
export function passwordHashes(reply: unknown): string[] | null {
  if (reply === null || reply === undefined) return null;
  let v: unknown;
  if (Array.isArray(reply)) {
    const i = reply.findIndex((x) => String(x) === 'passwords');
    v = i >= 0 ? reply[i + 1] : undefined;
  } else if (reply instanceof Map) v = reply.get('passwords');
  else if (typeof reply === 'object') v = (reply as Record<string, unknown>)['passwords'];
  return Array.isArray(v) ? v.map(String) : [];
}

export function createRedisAdmin(server: RedisServer, adminUser: string, adminPassword: string): RedisAdmin {
  const where = `redis ${server.host}:${server.port}`;
  const withClient = async <T>(user: string, password: string, what: string, fn: (send: (args: string[]) => Promise<unknown>) => Promise<T>): Promise<T> => {
    const { createClient } = await import('redis');
    const client = createClient({
      socket: { host: server.host, port: server.port, tls: server.tls as false, reconnectStrategy: false, connectTimeout: 10_000 },
      username: user,
      password,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await fn((args) => client.sendCommand(args));
    } catch (e) {
      if (e instanceof RedisAdminError) throw e;
      throw new RedisAdminError(`${where}: ${what} failed: ${String((e as Error).message ?? e).split('\n')[0]}`);
    } finally {
      try {
        client.destroy();
      } catch {
        /* already closed */
      }
    }
  };
  const admin = <T>(what: string, fn: (send: (args: string[]) => Promise<unknown>) => Promise<T>) =>
    withClient(adminUser, adminPassword, `${what} (as ${adminUser}; Fix: the admin user needs +acl)`, fn);
  return {
    addPassword: (user, password) =>
      admin(`adding a password to ACL user ${user}`, async (send) => void (await send(['ACL', 'SETUSER', user, 'on', `>${password}`]))),
    removePassword: (user, password) =>
      admin(`removing a password from ACL user ${user}`, async (send) => void (await send(['ACL', 'SETUSER', user, `<${password}`]))),
    keepOnly: (user, keep) =>
      admin(`cleaning the passwords of ACL user ${user}`, async (send) => {
        const hashes = passwordHashes(await send(['ACL', 'GETUSER', user]));
        if (hashes === null) throw new RedisAdminError(`${where}: ACL user ${user} does not exist`);
        const wanted = new Set(keep.map(sha256));
        const drop = hashes.filter((h) => !wanted.has(h));
        if (drop.length > 0) await send(['ACL', 'SETUSER', user, ...drop.map((h) => `!${h}`)]);
        return drop.length;
      }),
    testLogin: (user, password) =>
      withClient(user, password, `login as ${user} with the new credential`, async (send) => {
        const pong = await send(['PING']);
        if (String(pong) !== 'PONG') throw new RedisAdminError(`${where}: PING as ${user} answered ${String(pong).slice(0, 40)}`);
      }),
  };
}
