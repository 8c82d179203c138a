import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../lib/temporal';
import { WORKFLOWS_PATH } from './workflows-path';

/**
 * Every workflow type bundled once, ahead of time, for workers started with
 * WORKFLOW_BUNDLE_PATH (tests, benchmarks): with the failure converter a worker bundling at start
 * gets from its data converter, so failures raised in workflows are sealed the same way.
 */
export function bundleProductWorkflows(): Promise<{ code: string }> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
  });
}
