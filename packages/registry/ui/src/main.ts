/** Boot and router: renders the page for the current address; in-app links navigate with the History API. */
import { ApiError } from './api.js';
import { h, link } from './dom.js';
import { auditPage, tokenPage } from './pages/admin.js';
import { homePage, modelPage, namespacePage, searchPage } from './pages/browse.js';
import { logPage } from './pages/log.js';
import { rulesPage } from './pages/rules.js';
import { versionPage } from './pages/version.js';
import { parseRoute, type Route } from './routes.js';
import './style.css';

async function pageFor(route: Route): Promise<{ title: string; body: Node }> {
  switch (route.page) {
    case 'home':
      return homePage();
    case 'namespace':
      return namespacePage(route.ns);
    case 'model':
      return modelPage(route.ns, route.model);
    case 'version':
      return versionPage(route.ns, route.model, route.version);
    case 'search':
      return searchPage(route.kind, route.q);
    case 'log':
      return logPage();
    case 'audit':
      return auditPage(route.namespace);
    case 'token':
      return tokenPage();
    case 'rules':
      return rulesPage(route.rule);
    case 'not-found':
      return { title: 'Not found', body: h('p', {}, 'No page at this address. ', link('/ui/', 'Back to the namespaces')) };
  }
}

let generation = 0;

export async function render(): Promise<void> {
  const main = document.getElementById('main') as HTMLElement;
  const mine = ++generation;
  const route = parseRoute(location.pathname, location.search);
  let page: { title: string; body: Node };
  try {
    page = await pageFor(route);
  } catch (error) {
    const text =
      error instanceof ApiError
        ? `${error.code}: ${error.message}${error.status === 401 || error.status === 403 || error.status === 404 ? ' (a private namespace needs a token: see Token)' : ''}`
        : String(error instanceof Error ? error.message : error);
    page = { title: 'Error', body: h('p', { class: 'error', role: 'alert' }, text) };
  }
  if (mine !== generation) return;
  document.title = `${page.title} · modelsec registry`;
  main.replaceChildren(h('h1', { tabindex: -1 }, page.title), page.body);
  (main.querySelector('h1') as HTMLElement).focus();
  main.dataset.rendered = location.pathname + location.search;
}

export function navigate(to: string): void {
  history.pushState(null, '', to);
  void render();
}

document.addEventListener('click', (event) => {
  const target = event.target as Element | null;
  const a = target?.closest('a[data-internal]');
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
    return;
  event.preventDefault();
  navigate(a.getAttribute('href') ?? '/ui/');
});
window.addEventListener('popstate', () => void render());
document.addEventListener('modelsec:navigate', (event) => navigate((event as CustomEvent<string>).detail));
void render();
