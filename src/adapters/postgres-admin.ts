// PostgreSQL administration for the postgres-alternating-users rotation, through node-postgres
// (`pg`, loaded lazily). Two operations:
// - setPassword(role, password): ALTER ROLE <role> PASSWORD '<SCRAM verifier>'. The statement is
//   built by the server with format('ALTER ROLE %I PASSWORD %L', $1, $2), i.e. quote_ident for the
//   role and quote_literal for the value, both bound as parameters (utility statements such as
//   ALTER ROLE cannot take $n parameters themselves). The value sent is a SCRAM-SHA-256 verifier
//   computed here (RFC 5802 / RFC 7677, the format PQencryptPasswordConn and psql's \password
//   produce): PostgreSQL stores a pre-encrypted value as it is (docs: CREATE ROLE, "If the
//   presented password string is already in MD5-encrypted or SCRAM-encrypted format, then it is
//   stored as-is"), so the clear password never reaches the server's statement log.
// - testLogin(role, password): a new connection as that role, SELECT current_user.
// Errors name the server, the role and the fix; they never carry a password.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Client, ClientConfig } from 'pg';

export interface PostgresServer {
  host: string;
  port: number;
  database: string;
  sslmode: 'disable' | 'require' | 'verify-full';
}

export interface PostgresAdmin {
  setPassword(role: string, password: string): Promise<void>;
  testLogin(role: string, password: string): Promise<void>;
}

export const SCRAM_ITERATIONS = 4096;

/** SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey> for `password` (ASCII passwords: SASLprep is the identity). */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

function ssl(mode: PostgresServer['sslmode']): ClientConfig['ssl'] {
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  return true;
}

export class PostgresAdminError extends Error {
  override name = 'PostgresAdminError';
}

export function createPostgresAdmin(server: PostgresServer, adminUser: string, adminPassword: string): PostgresAdmin {
  const where = `postgres ${server.host}:${server.port}/${server.database}`;
  const connect = async (user: string, password: string): Promise<Client> => {
    const pg = (await import('pg')).default;
    const client = new pg.Client({
      host: server.host,
      port: server.port,
      database: server.database,
      user,
      password,
      ssl: ssl(server.sslmode),
      connectionTimeoutMillis: 10_000,
      statement_timeout: 15_000,
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  const message = (e: unknown) => {
    const m = (e as { message?: string; code?: string }) ?? {};
    return `${m.code ? `${m.code} ` : ''}${String(m.message ?? e).split('\n')[0]}`;
  };
  return {
    async setPassword(role, password) {
      let c: Client | undefined;
      try {
        c = await connect(adminUser, adminPassword);
        const r = await c.query<{ rolcanlogin: boolean }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [role]);
        if (r.rows.length === 0)
          throw new PostgresAdminError(`${where}: role ${role} does not exist. Fix: CREATE ROLE ${role} LOGIN (with the same grants as its partner role)`);
        if (!r.rows[0]!.rolcanlogin) throw new PostgresAdminError(`${where}: role ${role} cannot log in. Fix: ALTER ROLE ${role} LOGIN`);
        const stmt = await c.query<{ sql: string }>("SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text) AS sql", [role, scramVerifier(password)]);
        await c.query(stmt.rows[0]!.sql);
      } catch (e) {
        if (e instanceof PostgresAdminError) throw e;
        throw new PostgresAdminError(
          `${where}: changing the password of role ${role} as ${adminUser} failed: ${message(e)}. Fix: the admin role needs CREATEROLE (or to be superuser) and must be able to connect`,
        );
      } finally {
        await c?.end().catch(() => undefined);
      }
    },
    async testLogin(role, password) {
      let c: Client | undefined;
      try {
        c = await connect(role, password);
        const r = await c.query<{ u: string }>('SELECT current_user AS u');
        if (r.rows[0]?.u !== role) throw new PostgresAdminError(`${where}: logged in as ${String(r.rows[0]?.u)} instead of ${role}`);
      } catch (e) {
        if (e instanceof PostgresAdminError) throw e;
        throw new PostgresAdminError(`${where}: login as ${role} with the new credential failed: ${message(e)}`);
      } finally {
        await c?.end().catch(() => undefined);
      }
    },
  };
}
