export { loadUiBuild, MAX_UI_ASSET_BYTES, UI_CONTENT_SECURITY_POLICY, UI_DIST_DIR, type UiBuild, uiRoutes } from './serve.js';
