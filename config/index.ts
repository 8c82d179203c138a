import { loadCatalog, type Catalog } from './catalog';
import { loadEnv, type Env } from './env';

export { ConfigError } from './env';
export type { Env } from './env';
export type { Catalog, ModelTier, Plan, Product } from './catalog';

export interface AppConfig {
  env: Env;
  catalog: Catalog;
}

/** Loads and validates everything a process needs; throws ConfigError naming each problem. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const env = loadEnv(source);
  const catalog = loadCatalog(env.CATALOG_FILE);
  return { env, catalog };
}
