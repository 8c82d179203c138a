import OpenAI from 'openai';
import type { AppConfig } from '../config';

/**
 * One OpenAI SDK client per model tier (each tier is an OpenAI-compatible endpoint). The SDK's
 * own retries are off: Temporal's retry policy retries the activity, visibly in its history.
 */
export function createLlmClients(config: AppConfig): Record<string, OpenAI> {
  return Object.fromEntries(
    Object.entries(config.llmEndpoints).map(([tier, endpoint]) => [
      tier,
      new OpenAI({
        apiKey: endpoint.apiKey,
        baseURL: endpoint.baseURL,
        maxRetries: 0,
        timeout: config.catalog.chat.llmTimeoutMs,
      }),
    ]),
  );
}
