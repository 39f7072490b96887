// Validates Kubernetes objects (a JSON array on stdin) with kubernetes-models, offline: types,
// required fields, enums and formats of the Kubernetes OpenAPI schema (not unknown fields).
// Prints {"problems": [{index, kind, name, error}], "validated": N, "unknown": ["group/v Kind"]}.
// A child process because kubernetes-models is ESM-only and jest's runtime is CommonJS.
import { readFileSync } from 'node:fs';

const objects = JSON.parse(readFileSync(0, 'utf8'));
const problems = [];
const unknown = [];
let validated = 0;
const modules = new Map();

async function modelModule(apiVersion) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const spec = group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
  if (!modules.has(spec)) modules.set(spec, await import(spec).catch(() => null));
  return modules.get(spec);
}

for (const [index, obj] of objects.entries()) {
  const mod = await modelModule(String(obj.apiVersion));
  const Model = mod?.[obj.kind];
  if (typeof Model !== 'function') {
    unknown.push(`${obj.apiVersion} ${obj.kind}`);
    continue;
  }
  try {
    new Model(obj).validate();
    validated++;
  } catch (err) {
    problems.push({ index, kind: obj.kind, name: obj.metadata?.name, error: err.message });
  }
}
process.stdout.write(JSON.stringify({ problems, validated, unknown }));
