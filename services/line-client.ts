import { messagingApi } from '@line/bot-sdk';

/** The LINE Messaging API clients of one process: messages, and content (photos) from the data API. */
export interface LineClients {
  client: messagingApi.MessagingApiClient;
  blob: messagingApi.MessagingApiBlobClient;
}

/** LINE_API_BASE_URL / LINE_DATA_API_BASE_URL point at api.line.me in production, the stand-in locally. */
export function createLineClients(env: {
  LINE_CHANNEL_ACCESS_TOKEN: string;
  LINE_API_BASE_URL: string;
  LINE_DATA_API_BASE_URL: string;
}): LineClients {
  return {
    client: new messagingApi.MessagingApiClient({
      channelAccessToken: env.LINE_CHANNEL_ACCESS_TOKEN,
      baseURL: env.LINE_API_BASE_URL,
    }),
    blob: new messagingApi.MessagingApiBlobClient({
      channelAccessToken: env.LINE_CHANNEL_ACCESS_TOKEN,
      baseURL: env.LINE_DATA_API_BASE_URL,
    }),
  };
}
