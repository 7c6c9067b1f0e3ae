/** The OpenAPI 3.1 document, built from the routes' own JSON schemas (so it cannot drift from validation). */
import { REGISTRY_API_VERSION } from './version.js';

export interface RouteDoc {
  method: string;
  url: string;
  schema?: { params?: unknown; querystring?: unknown; body?: unknown } | undefined;
  summary?: string | undefined;
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
    },
  },
};

function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z]+)/g, '{$1}');
}

function parametersOf(schema: RouteDoc['schema']): unknown[] {
  const out: unknown[] = [];
  for (const [where, key] of [
    ['path', 'params'],
    ['query', 'querystring'],
  ] as const) {
    const s = schema?.[key] as { properties?: Record<string, unknown>; required?: string[] } | undefined;
    for (const [name, prop] of Object.entries(s?.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (s?.required ?? []).includes(name), schema: prop });
    }
  }
  return out;
}

export function buildOpenApi(routes: readonly RouteDoc[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const sorted = [...routes].sort((a, b) => (a.url === b.url ? a.method.localeCompare(b.method) : a.url < b.url ? -1 : 1));
  for (const route of sorted) {
    const key = openApiPath(route.url);
    const entry = paths[key] ?? {};
    paths[key] = entry;
    const upload = route.method === 'PATCH' || (route.method === 'PUT' && route.url.endsWith('/blobs/:digest'));
    entry[route.method.toLowerCase()] = {
      ...(route.summary ? { summary: route.summary } : {}),
      security: [{ bearer: [] }, {}],
      parameters: parametersOf(route.schema),
      ...(route.schema?.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: route.schema.body } } } }
        : upload
          ? {
              requestBody: {
                required: true,
                content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
              },
            }
          : {}),
      responses: {
        '2XX': { description: 'Success (JSON)' },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'modelsec registry',
      version: REGISTRY_API_VERSION,
      description: 'Signed model registry: policy at push, provenance checks.',
    },
    paths,
    components: { schemas: { Error: ERROR_SCHEMA }, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}
