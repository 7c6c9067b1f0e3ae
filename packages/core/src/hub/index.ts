export { type HubReference, hubEndpoint, isHubReference, parseHubReference } from './reference.js';
