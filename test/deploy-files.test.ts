import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

/** Every YAML document in a file, parsed strictly (duplicate keys, bad indentation… fail). */
function yamlDocs(file: string): any[] {
  return parseAllDocuments(read(file), { merge: true, uniqueKeys: true }).map((doc) => {
    assert.deepEqual(doc.errors, [], `${file}: ${doc.errors.join('; ')}`);
    return doc.toJS({ maxAliasCount: 100 });
  });
}

describe('deployment files', () => {
  it('Dockerfile: Node 20 slim by default, compiled dist/, production dependencies, uid 1000, health check, node as PID 1', () => {
    const dockerfile = read('Dockerfile');
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^FROM \S+ AS build$[^]*^RUN npm run build$/m);
    assert.match(dockerfile, /^COPY --from=build \/app\/dist \.\/dist$/m);
    assert.match(dockerfile, /^USER 1000:1000$/m);
    assert.match(dockerfile, /^HEALTHCHECK .*\n\s+CMD \["node", "-e", ".*process\.env\.PORT.*\/health\//m);
    assert.match(dockerfile, /chown 1000:1000 \/data/);
    // The image starts as `npm run start:prod` does ([NAME=value ...] node [options ...] dist/main.js):
    // the same node command as its CMD, the same variables in its ENV. The bench starts it so too.
    const startProd = (JSON.parse(read('package.json')) as any).scripts['start:prod'].split(' ') as string[];
    const node = startProd.indexOf('node');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    assert.deepEqual(JSON.parse(cmd ?? 'null'), startProd.slice(node));
    assert.equal(startProd.at(-1), 'dist/main.js');
    const env = /^ENV ((?:.*\\\n)*.*)$/m.exec(dockerfile)?.[1] ?? '';
    for (const assignment of startProd.slice(0, node))
      assert.match(env, new RegExp(`(^|\\s)${assignment}(\\s|$)`));
    // Every COPY source exists, and none is excluded by .dockerignore.
    const ignored = read('.dockerignore')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of sources!.split(' ')) {
        assert.ok(fs.existsSync(path.join(root, source)), `COPY ${source} does not exist`);
        assert.ok(!ignored.includes(source), `COPY ${source} is in .dockerignore`);
      }
    }
  });

  it('docker-compose.yml: app after a successful one-shot migrate, PostgreSQL 15 and Redis 7 healthy', () => {
    const [compose] = yamlDocs('docker-compose.yml');
    const { app, migrate, db, redis } = compose.services;
    assert.match(db.image, /^postgres:15/);
    assert.match(redis.image, /^redis:7/);
    assert.deepEqual(migrate.command, ['node', 'bin/smart-trip-planner.mjs', 'migrate']);
    assert.equal(migrate.restart, 'no');
    assert.deepEqual(app.depends_on.migrate, { condition: 'service_completed_successfully' });
    assert.equal(migrate.depends_on.db.condition, 'service_healthy');
    assert.equal(app.environment.APP_ENV, 'production');
    assert.equal(app.environment.MIGRATE_ON_START, 'false');
  });

  it('Kubernetes: probes on /health/ready and /health/live, non-root, HPA, Service and migration Job agree', () => {
    const dir = 'deploy/k8s';
    const docs = fs
      .readdirSync(path.join(root, dir))
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => yamlDocs(path.join(dir, f)).map((doc) => ({ file: f, doc })));
    const byKind = (kind: string) => docs.filter((d) => d.doc.kind === kind).map((d) => d.doc);
    for (const { file, doc } of docs) {
      if (file === 'kustomization.yaml') continue;
      assert.ok(doc.apiVersion && doc.kind && doc.metadata?.name, `${file}: apiVersion, kind, metadata.name`);
    }
    const [deployment] = byKind('Deployment');
    const pod = deployment.spec.template.spec;
    const [api] = pod.containers;
    assert.equal(api.readinessProbe.httpGet.path, '/health/ready');
    assert.equal(api.livenessProbe.httpGet.path, '/health/live');
    assert.equal(pod.securityContext.runAsUser, 1000);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(deployment.spec.selector.matchLabels, deployment.metadata.labels);
    const [service] = byKind('Service');
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    assert.equal(service.spec.ports[0].targetPort, api.ports[0].name);
    const [hpa] = byKind('HorizontalPodAutoscaler');
    assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
    const [job] = byKind('Job');
    const migrate = job.spec.template.spec.containers[0];
    assert.deepEqual(migrate.command, ['node', 'bin/smart-trip-planner.mjs', 'migrate']);
    assert.equal(migrate.image, api.image, 'the migration runs the same image as the Deployment');
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    const [config] = byKind('ConfigMap');
    const [secret] = byKind('Secret');
    for (const container of [api, migrate]) {
      const refs = container.envFrom.map((e: any) => e.configMapRef?.name ?? e.secretRef?.name);
      assert.deepEqual(refs, [config.metadata.name, secret.metadata.name]);
    }
    assert.equal(config.data.APP_ENV, 'production');
    // Graceful shutdown fits in the grace period.
    assert.ok(pod.terminationGracePeriodSeconds > Number(config.data.SHUTDOWN_TIMEOUT) + 5);
  });
});
