import {
  temporalUiLinks,
  temporalWorkflowsQueryUrl,
  temporalWorkflowUrl,
} from '../../lib/temporal-ui';

describe('Temporal Web UI links', () => {
  it('points at the workflow in the namespace, escaping both', () => {
    expect(temporalWorkflowUrl('http://ui:8233/', 'default', 'chat-01ABC')).toBe(
      'http://ui:8233/namespaces/default/workflows/chat-01ABC',
    );
    expect(temporalWorkflowUrl('https://t.example/ui', 'prod ns', 'a/b')).toBe(
      'https://t.example/ui/namespaces/prod%20ns/workflows/a%2Fb',
    );
  });

  it("opens a given run's history", () => {
    expect(temporalWorkflowUrl('http://ui:8233', 'default', 'session-U1', 'run 1')).toBe(
      'http://ui:8233/namespaces/default/workflows/session-U1/run%201/history',
    );
  });

  it('filters the workflow list by a visibility query', () => {
    expect(temporalWorkflowsQueryUrl('http://ui:8233//', 'default', 'LineUserId="U1"')).toBe(
      'http://ui:8233/namespaces/default/workflows?query=LineUserId%3D%22U1%22',
    );
  });

  it('binds the UI and namespace once', () => {
    const ui = temporalUiLinks('http://ui:8233/', 'prod ns');
    expect(ui.base).toBe('http://ui:8233');
    expect(ui.workflow('a', 'r')).toBe('http://ui:8233/namespaces/prod%20ns/workflows/a/r/history');
    expect(ui.query('x')).toBe('http://ui:8233/namespaces/prod%20ns/workflows?query=x');
  });
});
