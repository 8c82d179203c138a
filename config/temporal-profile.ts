import { loadClientConfigProfile } from '@temporalio/envconfig';

/**
 * TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE from a Temporal client profile, for the variables
 * the environment leaves unset, so `env.TEMPORAL_NAMESPACE` (links, worker options) is the one
 * the connection really uses. The TOML file is read only when TEMPORAL_PROFILE or
 * TEMPORAL_CONFIG_FILE names it: a developer's personal ~/.config/temporalio/temporal.toml never
 * redirects a test run or `npm run dev` by itself.
 */
export function temporalProfileDefaults(
  source: Record<string, string | undefined>,
): { defaults: Record<string, string> } | { problems: string[] } {
  if (!source.TEMPORAL_PROFILE && !source.TEMPORAL_CONFIG_FILE) return { defaults: {} };
  try {
    const profile = loadClientConfigProfile({
      profile: source.TEMPORAL_PROFILE,
      disableEnv: true,
      overrideEnvVars: pickDefined(source),
    });
    const out: Record<string, string> = {};
    if (profile.address) out.TEMPORAL_ADDRESS = profile.address;
    if (profile.namespace) out.TEMPORAL_NAMESPACE = profile.namespace;
    return { defaults: out };
  } catch (err) {
    return { problems: [`TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE: ${(err as Error).message}`] };
  }
}

function pickDefined(source: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(source).filter((e): e is [string, string] => e[1] !== undefined),
  );
}
