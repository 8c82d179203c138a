/** Local infrastructure for dev runs and tests: pinned tools, services, PostgreSQL. */
export { InfraError, isInfraError, errorMessage } from './errors';
export { profileDir, repoRoot, toolCacheRoot, type Profile } from './paths';
export { freePort, freePorts, isPortOpen } from './ports';
export {
  ensureTool,
  findGo,
  toolPath,
  TOOLS,
  type EnsureToolOptions,
  type ToolName,
} from './tools';
export {
  createDatabase,
  databaseExists,
  databaseName,
  DEFAULT_SERVER_URL,
  describeServer,
  dropDatabase,
  dropStaleTestDatabases,
  ensurePostgres,
  listMigrations,
  migrateDatabase,
  newTestDatabaseName,
  redactUrl,
  withDatabase,
  type MigrateResult,
} from './postgres';
export { checkTemporal } from './temporal';
export { ensureBucket, type S3Settings } from './minio';
export { checkStripeMock } from './stripe-mock';
export type { RunningService, ServiceName } from './service';
export {
  ALL_SERVICES,
  DEV_DATABASE_URL,
  DEV_PORTS,
  PORT_VARIABLES,
  stackStatus,
  startStack,
  stopRecordedServices,
  type Stack,
  type StackPorts,
  type StartStackOptions,
} from './stack';
