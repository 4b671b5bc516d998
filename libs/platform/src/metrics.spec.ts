import { MetricsService } from './metrics';

describe("an app's metrics", () => {
  it("serve the process's Node metrics, collected once however many apps the process creates, beside each app's own", async () => {
    const first = new MetricsService();
    const second = new MetricsService();
    // One collector per process: prom-client's garbage-collection and event-loop listeners are
    // never removed, so a second collection would have added a second set for good.
    expect(second.registry.getSingleMetric('nodejs_gc_duration_seconds')).toBe(first.registry.getSingleMetric('nodejs_gc_duration_seconds'));
    expect(second.registry.getSingleMetric('process_cpu_user_seconds_total')).toBe(first.registry.getSingleMetric('process_cpu_user_seconds_total'));
    // Each app counts its own requests.
    first.httpDuration.observe({ method: 'GET', route: '/v1/datasets', status: '200' }, 0.012);
    const [one, two] = await Promise.all([first.registry.metrics(), second.registry.metrics()]);
    expect(one).toMatch(/^trove_http_request_duration_seconds_count\{method="GET",route="\/v1\/datasets",status="200"\} 1$/m);
    expect(two).not.toMatch(/^trove_http_request_duration_seconds_count\{/m);
    for (const text of [one, two]) expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });
});
