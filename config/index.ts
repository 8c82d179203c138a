import { z } from 'zod';
import { loadCatalog, type Catalog } from './catalog';
import { ConfigError, loadEnv, type Env } from './env';

export { ConfigError } from './env';
export type { Env } from './env';
export type { Catalog, ModelTier, Plan, Product } from './catalog';

export interface LlmEndpoint {
  baseURL: string;
  apiKey: string;
}

export interface AppConfig {
  env: Env;
  catalog: Catalog;
  /** Per model tier: OPENAI_BASE_URL_<TIER> / OPENAI_API_KEY_<TIER>, else the shared pair. */
  llmEndpoints: Record<string, LlmEndpoint>;
}

const tierUrl = z.url({ protocol: /^https?$/ });

function resolveLlmEndpoints(
  env: Env,
  catalog: Catalog,
  source: NodeJS.ProcessEnv,
): Record<string, LlmEndpoint> {
  const problems: string[] = [];
  const endpoints: Record<string, LlmEndpoint> = {};
  for (const tier of Object.keys(catalog.modelTiers)) {
    const suffix = tier.toUpperCase();
    const urlVar = `OPENAI_BASE_URL_${suffix}`;
    const keyVar = `OPENAI_API_KEY_${suffix}`;
    const baseURL = source[urlVar] || env.OPENAI_BASE_URL;
    if (!tierUrl.safeParse(baseURL).success) problems.push(`${urlVar}: must be an http(s) URL`);
    endpoints[tier] = { baseURL, apiKey: source[keyVar] || env.OPENAI_API_KEY };
  }
  if (problems.length) throw new ConfigError(problems);
  return endpoints;
}

/** Loads and validates everything a process needs; throws ConfigError naming each problem. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const env = loadEnv(source);
  const catalog = loadCatalog(env.CATALOG_FILE);
  return { env, catalog, llmEndpoints: resolveLlmEndpoints(env, catalog, source) };
}
