import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { newPayloadKeyEntry } from '../../config/payload-keys';
import { startStack, type Stack } from '../../scripts/infra/stack';
import { STACK_ENV_FILE, STACK_ENV_KEYS } from './stack-env';
import { bundleProductWorkflows } from '../../workers/workflow-bundle';

/**
 * Jest global setup: a private stack (Temporal, MinIO, stripe-mock on free ports), a fresh
 * PostgreSQL database with the migrations applied, random secrets. The environment goes to
 * process.env (inherited by the test workers) and to .stack/test/env.json.
 */

declare global {
  var __LINE_AI_TEST_STACK__: Stack | undefined;
}

const random = (bytes: number, encoding: BufferEncoding = 'hex') =>
  crypto.randomBytes(bytes).toString(encoding);

export function testSecrets(): Record<string, string> {
  return {
    LINE_CHANNEL_SECRET: random(16),
    LINE_CHANNEL_ACCESS_TOKEN: random(48, 'base64url'),
    LINE_LOGIN_CHANNEL_SECRET: random(16),
    OPENAI_API_KEY: `sk-test-${random(24, 'base64url')}`,
    STRIPE_SECRET_KEY: `sk_test_${random(24)}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${random(24, 'base64url')}`,
    ADMIN_TOKEN: random(24),
    // The whole suite runs sealed: every test client and worker uses this keyring.
    PAYLOAD_KEYS: newPayloadKeyEntry('test-1', crypto.randomBytes),
    PAYLOAD_KEY_ID: 'test-1',
    CODEC_TOKEN: random(24),
  };
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[test stack] ${line}\n`);
  // Bundle the workflows once for every worker the tests start (in-process or child process).
  const [stack, bundle] = await Promise.all([
    startStack('test', { log }),
    bundleProductWorkflows(),
  ]);
  globalThis.__LINE_AI_TEST_STACK__ = stack;
  const bundlePath = path.join(stack.stateDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);

  const env: Record<string, string> = {
    ...stack.env,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    ...testSecrets(),
  };
  const missing = STACK_ENV_KEYS.filter((key) => !env[key]);
  if (missing.length > 0) {
    await stack.stop();
    throw new Error(`global setup: no value for ${missing.join(', ')}`);
  }
  Object.assign(process.env, env);

  const json = `${JSON.stringify(env, null, 2)}\n`;
  fs.writeFileSync(path.join(stack.stateDir, 'env.json'), json, { mode: 0o600 });
  // Atomic replace: a parallel jest run never reads a half-written file.
  const tmp = `${STACK_ENV_FILE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, json, { mode: 0o600 });
  fs.renameSync(tmp, STACK_ENV_FILE);

  const migrations = stack.database?.migrations;
  const migrated = migrations?.applied
    ? `${migrations.migrations.length} migration(s)`
    : 'no migrations';
  log(`ready in ${Date.now() - started} ms (database ${stack.database?.name}, ${migrated})`);
}
