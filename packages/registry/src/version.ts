export const REGISTRY_API_VERSION = 'v1';
