/**
 * Links into the Temporal Web UI, built in one place for the admin API and the /dev simulator
 * (the UI's URL layout is `<ui>/namespaces/<ns>/workflows[/<id>[/<runId>/history]]`).
 */

function uiBase(uiUrl: string): string {
  return uiUrl.replace(/\/+$/, '');
}

/**
 * A workflow's page. Without a run ID the UI opens the latest run; with one, that run's
 * history.
 */
export function temporalWorkflowUrl(
  uiUrl: string,
  namespace: string,
  workflowId: string,
  runId?: string,
): string {
  const page =
    `${uiBase(uiUrl)}/namespaces/${encodeURIComponent(namespace)}` +
    `/workflows/${encodeURIComponent(workflowId)}`;
  return runId === undefined ? page : `${page}/${encodeURIComponent(runId)}/history`;
}

/** The workflow list filtered by a visibility query, e.g. `LineUserId="U…"`. */
export function temporalWorkflowsQueryUrl(uiUrl: string, namespace: string, query: string): string {
  return (
    `${uiBase(uiUrl)}/namespaces/${encodeURIComponent(namespace)}` +
    `/workflows?query=${encodeURIComponent(query)}`
  );
}

export interface TemporalUiLinks {
  /** The UI's root without a trailing slash. */
  base: string;
  workflow(workflowId: string, runId?: string): string;
  query(query: string): string;
}

/** The link builders bound to one UI and namespace (from TEMPORAL_UI_URL / TEMPORAL_NAMESPACE). */
export function temporalUiLinks(uiUrl: string, namespace: string): TemporalUiLinks {
  return {
    base: uiBase(uiUrl),
    workflow: (workflowId, runId) => temporalWorkflowUrl(uiUrl, namespace, workflowId, runId),
    query: (query) => temporalWorkflowsQueryUrl(uiUrl, namespace, query),
  };
}
