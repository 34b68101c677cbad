import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.ts';

interface DevSecrets {
  jwtSecret: string;
  encryptionKey: string;
}

// NOTE: development only. Production refuses to start without JWT_SECRET and ENCRYPTION_KEY
// (src/config.ts); here we generate them once into DATA_DIR so tokens and encrypted grants
// survive a restart of `npm start` with zero configuration.
export async function withDevSecrets(config: Readonly<Config>, warn: (msg: string) => void): Promise<Config> {
  if (config.jwt.secret && config.encryptionKeys.length > 0) return config;
  const file = join(config.dataDir, 'dev-secrets.json');
  let secrets: DevSecrets;
  try {
    secrets = JSON.parse(await readFile(file, 'utf8')) as DevSecrets;
  } catch {
    secrets = {
      jwtSecret: randomBytes(48).toString('base64url'),
      encryptionKey: randomBytes(32).toString('base64url'),
    };
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    warn(`generated development secrets in ${file}; set JWT_SECRET and ENCRYPTION_KEY in production`);
  }
  return Object.freeze({
    ...config,
    jwt: { ...config.jwt, secret: config.jwt.secret ?? secrets.jwtSecret },
    encryptionKeys: config.encryptionKeys.length > 0 ? config.encryptionKeys : [secrets.encryptionKey],
  });
}
