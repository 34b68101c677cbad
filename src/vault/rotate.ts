import { join } from 'node:path';
import { systemClock } from '../clock.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { withDevSecrets } from '../secrets.ts';
import { decodeKey, keyIdFor } from './envelope.ts';
import { createVault } from './vault.ts';

// `npm run keys:rotate`: re-encrypt every stored vendor token (and pending PKCE verifier)
// with the current key, the first of ENCRYPTION_KEYS. Procedure: put the new key first and
// keep the old ones after it, run this, check that it reports no failures, then drop the
// old keys. Prints counts; exits 1 on any failure. Never prints key material or tokens.

async function main(): Promise<number> {
  let config = loadConfig(process.env);
  if (config.env !== 'production')
    config = await withDevSecrets(config, (m) => process.stderr.write(`${m}\n`));
  if (config.encryptionKeys.length === 0) {
    process.stderr.write('no encryption key configured (ENCRYPTION_KEY or ENCRYPTION_KEYS)\n');
    return 1;
  }
  const vault = createVault({ encryptionKeys: config.encryptionKeys, clock: systemClock });
  const handle = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : join(config.dataDir, 'pglite'),
  });
  try {
    const keyIds = config.encryptionKeys.map((k) => keyIdFor(decodeKey(k)));
    process.stdout.write(`current key ${vault.currentKeyId}; known keys ${keyIds.join(', ')}\n`);
    const report = await vault.rotate(handle.db);
    process.stdout.write(
      `rotated (${handle.kind}): ${report.total} checked, ${report.reencrypted} re-encrypted, ` +
        `${report.alreadyCurrent} already current, ${report.failed} failed\n`,
    );
    for (const f of report.failures) process.stderr.write(`  failed ${f.id}: ${f.reason}\n`);
    return report.failed > 0 ? 1 : 0;
  } finally {
    await handle.close();
  }
}

if (import.meta.main) {
  try {
    process.exitCode = await main();
  } catch (err) {
    const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`key rotation failed: ${message}\n`);
    process.exitCode = 1;
  }
}
