/**
 * The least environment loadConfig/loadEnv accept: the required secrets, with made-up values of
 * the right shape (unit tests of the configuration and what reads it).
 */
export const TEST_SECRETS = {
  LINE_CHANNEL_SECRET: 'line-secret-123',
  LINE_CHANNEL_ACCESS_TOKEN: 'line-token-123',
  LINE_LOGIN_CHANNEL_SECRET: 'login-secret-123',
  OPENAI_API_KEY: 'openai-key-123',
  STRIPE_SECRET_KEY: 'sk_test_123456',
  STRIPE_WEBHOOK_SECRET: 'whsec_123456',
  ADMIN_TOKEN: 'admin-token-0123456789',
  PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
} as const;
