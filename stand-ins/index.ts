import {
  startLinePlatform,
  type LinePlatformStandIn,
  type StartLinePlatformOptions,
} from './line-platform';
import {
  startLlmProvider,
  type LlmProviderStandIn,
  type StartLlmProviderOptions,
} from './llm-provider';

export * from './line-platform';
export * from './llm-provider';

export interface StandIns {
  line: LinePlatformStandIn;
  llm: LlmProviderStandIn;
  /** Environment for the API and workers so that they talk to these stand-ins. */
  env: {
    LINE_API_BASE_URL: string;
    LINE_DATA_API_BASE_URL: string;
    LINE_CHANNEL_ACCESS_TOKEN: string;
    LINE_LOGIN_JWKS_URL: string;
    OPENAI_BASE_URL: string;
    OPENAI_API_KEY: string;
  };
  close(): Promise<void>;
}

export interface StartStandInsOptions {
  line: StartLinePlatformOptions;
  /** apiKey is required here so that the env block is complete. */
  llm: StartLlmProviderOptions & { apiKey: string };
}

/** Starts the LINE Platform and LLM provider stand-ins (each on its own port). */
export async function startStandIns(options: StartStandInsOptions): Promise<StandIns> {
  const line = await startLinePlatform(options.line);
  let llm: LlmProviderStandIn;
  try {
    llm = await startLlmProvider(options.llm);
  } catch (err) {
    await line.close();
    throw err;
  }
  return {
    line,
    llm,
    env: {
      LINE_API_BASE_URL: line.url,
      LINE_DATA_API_BASE_URL: line.dataUrl,
      LINE_CHANNEL_ACCESS_TOKEN: options.line.channelAccessToken,
      LINE_LOGIN_JWKS_URL: `${line.url}/oauth2/v2.1/certs`,
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_API_KEY: options.llm.apiKey,
    },
    async close() {
      await Promise.all([line.close(), llm.close()]);
    },
  };
}
