import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** config/catalog.json as plain data, for a test to change before writing its variant. */
export type CatalogData = { chat: Record<string, unknown> } & Record<string, unknown>;

export interface CatalogVariant {
  /** The variant's path: a harness's `CATALOG_FILE`. */
  file: string;
  remove(): void;
}

/**
 * The shipped catalog with a test's changes (smaller waits, say), written to a temporary file
 * for the harness's `CATALOG_FILE`; the product validates it at start-up like the real one.
 */
export function writeCatalogVariant(change: (catalog: CatalogData) => void): CatalogVariant {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-'));
  const catalog = JSON.parse(
    fs.readFileSync(path.join(__dirname, '../../config/catalog.json'), 'utf8'),
  ) as CatalogData;
  change(catalog);
  const file = path.join(dir, 'catalog.json');
  fs.writeFileSync(file, JSON.stringify(catalog));
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
