// The demo marketplace npm start leaves behind: a speech-data vendor (approved) and a buyer,
// each with an API key, so the API can be tried at once. Made through the public API like any
// client would, once: the keys are kept in .trove/demo-keys.json (mode 600) and reused while
// they still work. Datasets and offers join the demo as the catalog gains them.

import fs from 'node:fs';
import path from 'node:path';

const DEMO = {
  vendor: { name: '希尔贝壳语音数据 / AISHELL Speech Data (demo)', kind: 'vendor', contactEmail: 'sales@aishell-demo.example.cn' },
  buyer: { name: '国网智能研究院 / State Grid AI Lab (demo)', kind: 'buyer', contactEmail: 'ai-procurement@sgai-demo.example.cn' },
};

async function call(gatewayUrl, method, route, key, body) {
  const response = await fetch(`${gatewayUrl}${route}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function stillWorks(gatewayUrl, saved) {
  for (const role of Object.keys(DEMO)) {
    if (!saved?.[role]?.key) return false;
    if ((await call(gatewayUrl, 'GET', '/v1/me', saved[role].key)).status !== 200) return false;
  }
  return true;
}

export async function seedDemo({ stateDir, gatewayUrl, adminKey }) {
  const file = path.join(stateDir, 'demo-keys.json');
  const saved = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
  if (await stillWorks(gatewayUrl, saved)) return { ...saved, source: 'saved in .trove/demo-keys.json' };

  const demo = {};
  for (const [role, organization] of Object.entries(DEMO)) {
    const created = await call(gatewayUrl, 'POST', '/v1/organizations', undefined, organization);
    if (created.status !== 201) throw new Error(`demo ${role} sign-up answered ${created.status}: ${JSON.stringify(created.body)}`);
    demo[role] = { organizationId: created.body.organization.id, name: organization.name, key: created.body.apiKey };
  }
  const approved = await call(gatewayUrl, 'POST', `/v1/admin/organizations/${demo.vendor.organizationId}/approve`, adminKey);
  if (approved.status !== 200) throw new Error(`approving the demo vendor answered ${approved.status}`);

  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  return { ...demo, source: 'created now, saved in .trove/demo-keys.json' };
}
