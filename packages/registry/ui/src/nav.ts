/** Navigation from page modules without importing the router (no import cycle). */
export function go(to: string): void {
  document.dispatchEvent(new CustomEvent('modelsec:navigate', { detail: to }));
}
