/** @modelsec/registry: the signed model registry service. Filled in by issue #6. */
export const REGISTRY_API_VERSION = 'v1';
