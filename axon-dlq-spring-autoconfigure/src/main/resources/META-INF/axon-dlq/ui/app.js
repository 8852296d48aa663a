// The axon-dlq operator dashboard: hash routes (deep links, back button), one view per route, auto-refresh.
import {api, ApiError, apiUrl, download, idempotencyKey, query, seg} from './api.js';
import {age, count, dateTime, h, hourChart, kv, noun, progress, shortId, table} from './dom.js';

const REFRESH_MS = 3000;
const view = document.getElementById('view');
const errorBox = document.getElementById('error');
const noticeBox = document.getElementById('notice');
const state = {me: {name: '', mayRead: true, mayWrite: false}, paused: false, renderId: 0, loading: false};

// --- messages ---------------------------------------------------------------------------------------------------

/**
 * Shows an error. One of loading the page ({@code loading}) is cleared by the next render that succeeds, so that it
 * does not claim, say, an unreachable server while the page is current again; an action's error stays until dismissed
 * or the operator leaves the page.
 */
function showError(error, loading = false) {
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  const title = error instanceof Unfinished ? 'Not done: ' : 'Error: ';
  errorBox.replaceChildren(h('strong', {}, title), h('span', {class: 'error-detail'}, message),
    h('button', {type: 'button', onclick: clearError}, 'Dismiss'));
  errorBox.hidden = false;
  errorBox.dataset.loading = String(loading);
}

function clearError() {
  errorBox.hidden = true;
  errorBox.replaceChildren();
  delete errorBox.dataset.loading;
}

function notice(text) {
  noticeBox.textContent = text;
  noticeBox.hidden = !text;
}

/** An action the API answered but did not complete (a redelivery that failed again): shown as an error, in place. */
class Unfinished extends Error {
}

/** At most the API's largest page (axon.dlq.rest.max-page-size, from GET /me). */
const pageSize = wanted => Math.max(1, Math.min(wanted, state.me.maxPageSize || wanted));

// --- confirmation -----------------------------------------------------------------------------------------------

/** Asks before a destructive action; with {@code typed}, the user must type it (e.g. the group name). */
function confirmAction(title, text, typed) {
  const dialog = document.getElementById('confirm');
  const input = document.getElementById('confirm-typed');
  const ok = document.getElementById('confirm-ok');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-typed-label').hidden = !typed;
  document.getElementById('confirm-expected').textContent = typed || '';
  input.value = '';
  ok.disabled = Boolean(typed);
  input.oninput = () => {
    ok.disabled = input.value !== typed;
  };
  // Enter in the field means Confirm. Left to the form, it would press the form's first button, Cancel, and close the
  // dialog without a word; so it confirms once the text is right and does nothing before.
  input.onkeydown = e => {
    if (e.key === 'Enter') {
      e.preventDefault();
      if (!ok.disabled) {
        dialog.close('ok');
      }
    }
  };
  return new Promise(resolve => {
    dialog.onclose = () => resolve(dialog.returnValue === 'ok' && (!typed || input.value === typed));
    dialog.returnValue = '';
    dialog.showModal();
    (typed ? input : document.getElementById('confirm-cancel')).focus();
  });
}

/**
 * Runs a write, shows its outcome or its error, then re-renders (or goes to {@code then}). A refused or unfinished
 * write re-renders where the operator is too: the refusal is often that its target changed (evicted by someone else).
 */
async function act(button, work, then) {
  if (button) {
    button.disabled = true;
  }
  clearError();
  try {
    const message = await work();
    notice(message || '');
    if (then) {
      state.keepNotice = true;
      location.hash = then;
    } else {
      await render(true);
    }
  } catch (e) {
    // What it did change (attempts, letters left), or what changed under it, is shown where the operator stays. The
    // page first: its own refresh error, if any, is then replaced by the action's, which stays until dismissed.
    await render(true);
    showError(e);
  } finally {
    if (button) {
      button.disabled = false;
    }
  }
}

const writeButton = (label, onclick, attrs = {}) =>
  state.me.mayWrite ? h('button', {type: 'button', onclick, ...attrs}, label) : null;

// --- routes -----------------------------------------------------------------------------------------------------

function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search] = hash.split('?');
  let parts;
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch (e) {
    // A malformed escape (a stray %, typed by hand) names no page; thrown, it would leave the page at "Loading…".
    return NOT_FOUND;
  }
  const params = new URLSearchParams(search || '');
  if (parts.length === 0 || parts[0] === 'overview') {
    return {name: 'overview', view: overview};
  }
  if (parts[0] === 'groups' && parts.length === 2) {
    return {name: 'overview', view: () => group(parts[1], params)};
  }
  if (parts[0] === 'groups' && parts[2] === 'letters') {
    return {name: 'overview', view: () => letters(parts[1], params)};
  }
  if (parts[0] === 'letters' && parts.length === 2) {
    return {name: 'overview', view: () => letter(parts[1]), noRefresh: true};
  }
  if (parts[0] === 'jobs' && parts.length === 1) {
    return {name: 'jobs', view: () => jobs(params)};
  }
  if (parts[0] === 'jobs' && parts.length === 2) {
    return {name: 'jobs', view: () => job(parts[1], params)};
  }
  if (parts[0] === 'audit') {
    return {name: 'audit', view: () => audit(params)};
  }
  return NOT_FOUND;
}

const NOT_FOUND = {name: '', view: async () => [h('h2', {}, 'Not found'),
  h('p', {}, 'This page does not exist. ', h('a', {href: '#/'}, 'Go to the overview'))], noRefresh: true};

const groupHref = g => `#/groups/${seg(g)}`;
const lettersHref = (g, filters = {}) => `#/groups/${seg(g)}/letters${query(filters)}`;

/** Renders the current route; a refresh keeps the page's focus and form state where it can. */
async function render(refresh = false) {
  const current = route();
  refreshLabel(current);
  document.querySelectorAll('header nav a').forEach(a => {
    if (a.dataset.nav === current.name) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  });
  const id = ++state.renderId;
  state.loading = true;
  const focusKey = refresh && document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.focus : null;
  try {
    const content = await current.view();
    if (id !== state.renderId) {
      return;
    }
    const next = [].concat(content).filter(Boolean).map(n => (n instanceof Node ? n : document.createTextNode(n)));
    const shown = [...view.childNodes];
    if (refresh && shown.length === next.length) {
      // Only the parts that changed are replaced: what stayed keeps its focus, selection and open details. A form the
      // operator has typed into is kept as it is, even when its options changed (a group's letter count).
      next.forEach((node, i) => {
        if (!same(shown[i], node) && !holdsEdits(shown[i])) {
          shown[i].replaceWith(node);
        }
      });
    } else {
      view.replaceChildren(...next);
    }
    view.dataset.route = location.hash || '#/';
    if (errorBox.dataset.loading === 'true') {
      clearError();
    }
    if (focusKey) {
      const again = view.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`);
      if (again) {
        again.focus();
      }
    }
    if (!refresh) {
      view.focus({preventScroll: true});
      window.scrollTo(0, 0);
    }
  } catch (e) {
    if (id !== state.renderId) {
      return;
    }
    if (!refresh) {
      view.replaceChildren(h('div', {class: 'empty'}, 'This page could not be loaded. ',
        h('a', {href: '#/'}, 'Back to the overview')));
    }
    showError(e, true);
  } finally {
    if (id === state.renderId) {
      state.loading = false;
      view.dataset.loaded = String(id);
    }
  }
}

function holdsEdits(node) {
  return node.nodeType === Node.ELEMENT_NODE
    && (node.matches('form[data-edited]') || node.querySelector('form[data-edited]') !== null);
}

function same(a, b) {
  if (a.nodeType !== b.nodeType) {
    return false;
  }
  return a.nodeType === Node.ELEMENT_NODE ? a.outerHTML === b.outerHTML : a.textContent === b.textContent;
}

// --- overview ---------------------------------------------------------------------------------------------------

// The hourly chart counts every letter of the last 24 h: at a million letters that is the heaviest query of the
// overview, so auto-refresh reuses it for a minute; opening the overview (navigation, Refresh) reads it again.
const HOURLY_TTL_MS = 60_000;
let hourlyCache = {at: 0, data: null};

function hourlyCounts(reuse) {
  if (reuse && hourlyCache.data && Date.now() - hourlyCache.at < HOURLY_TTL_MS) {
    return Promise.resolve(hourlyCache.data);
  }
  return api('GET', '/statistics/enqueued-per-hour').then(data => {
    hourlyCache = {at: Date.now(), data};
    return data;
  });
}

async function overview() {
  const [groups, hourly] = await Promise.all([api('GET', '/processing-groups'),
    hourlyCounts(state.autoRefreshing)]);
  const items = groups.items || [];
  const withLetters = items.filter(g => g.letters > 0);
  const letterTotal = items.reduce((n, g) => n + (g.letters || 0), 0);
  const sequenceTotal = items.reduce((n, g) => n + (g.sequences || 0), 0);
  const oldest = items.map(g => g.oldestEnqueuedAt).filter(Boolean).sort()[0];
  const counts = new Array(hourly.hours).fill(0);
  const from = new Date(hourly.from).getTime();
  (hourly.items || []).forEach(item => {
    const index = Math.round((new Date(item.hourStart).getTime() - from) / 3600_000);
    if (index >= 0 && index < counts.length) {
      counts[index] += item.letters;
    }
  });
  return [
    h('h2', {}, 'Overview'),
    h('div', {class: 'cards'},
      h('div', {class: 'stat'}, h('div', {class: 'n', id: 'total-letters'}, letterTotal),
        noun(letterTotal, 'dead letter')),
      h('div', {class: 'stat'}, h('div', {class: 'n', id: 'total-sequences'}, sequenceTotal),
        noun(sequenceTotal, 'parked sequence')),
      h('div', {class: 'stat'}, h('div', {class: 'n'}, withLetters.length),
        noun(withLetters.length, 'group with letters', 'groups with letters')),
      h('div', {class: 'stat'}, h('div', {class: 'n'}, age(oldest)), 'oldest letter')),
    h('section', {class: 'card chart', 'aria-labelledby': 'chart-title'},
      h('h3', {id: 'chart-title'}, 'Letters held, by hour enqueued (last 24 h)'),
      hourChart(hourly.from, hourly.hours, counts)),
    h('h3', {}, 'Processing groups'),
    table([
      {title: 'Group', cell: g => h('a', {href: groupHref(g.name), class: 'group-link', 'data-focus': 'g-' + g.name},
          g.name)},
      {title: 'Letters', num: true, cell: g => String(g.letters)},
      {title: 'Parked sequences', num: true, cell: g => String(g.sequences)},
      {title: 'Oldest letter', cell: g => age(g.oldestEnqueuedAt)},
      {title: 'Runs on this node', cell: g => (g.running ? 'yes' : 'no')},
      {title: 'Retry job', cell: g => (g.activeRetryJob
          ? h('a', {href: `#/jobs/${seg(g.activeRetryJob.id)}`}, progress(g.activeRetryJob)) : '—')},
    ], items.map(g => ({...g, __key: g.name})),
    'No processing group uses axon-dlq yet. Groups of tracking or pooled streaming processors appear here once '
    + 'the application runs them.', {id: 'groups'}),
    letterTotal === 0 ? h('p', {class: 'empty', id: 'no-letters'},
      'No dead letters: every event was handled. When a handler fails for good, its event and the events behind it '
      + 'appear here.') : null,
  ];
}

// --- one group: failure groups and sequences --------------------------------------------------------------------

async function group(name, params) {
  const cursor = params.get('sequences') || '';
  const [failures, sequences] = await Promise.all([
    api('GET', `/processing-groups/${seg(name)}/failure-groups`),
    api('GET', `/processing-groups/${seg(name)}/sequences${query({limit: pageSize(50), cursor})}`)]);
  const failureRows = (failures.items || []).map(f => ({...f, __key: f.causeType || '(parked)'}));
  return [
    h('p', {class: 'muted'}, h('a', {href: '#/'}, 'Overview'), ' / ', name),
    h('h2', {}, 'Processing group ', h('code', {}, name)),
    h('div', {class: 'actions'},
      h('a', {class: 'button', href: lettersHref(name)}, 'All letters'),
      exportLink(name, {}, 'json', 'Export JSON'),
      exportLink(name, {}, 'ndjson', 'Export NDJSON'),
      writeButton('Start a retry job…', null, {onclick: () => {
        location.hash = `#/jobs${query({group: name})}`;
      }}),
      writeButton('Erase all letters…', e => eraseGroup(e.currentTarget, name), {class: 'danger', id: 'erase-group'})),
    h('h3', {}, 'Failure groups'),
    table([
      {title: 'Cause type', cell: f => (f.causeType ? h('code', {}, f.causeType)
          : h('span', {class: 'muted'}, 'parked behind an earlier failure'))},
      {title: 'Letters', num: true, cell: f => String(f.letters)},
      {title: 'First seen', cell: f => dateTime(f.firstSeen)},
      {title: 'Last seen', cell: f => dateTime(f.lastSeen)},
      {title: 'Actions', cell: f => h('div', {class: 'actions'},
          f.causeType ? h('a', {href: lettersHref(name, {causeType: f.causeType})}, 'Letters') : null,
          f.causeType ? writeButton('Retry this failure group', e => retryFailureGroup(e.currentTarget, name,
            f.causeType), {class: 'primary', 'data-action': 'retry-failure-group'}) : null,
          f.causeType ? writeButton('Evict…', e => evictFailureGroup(e.currentTarget, name, f.causeType),
            {class: 'danger', 'data-action': 'evict-failure-group'}) : null)},
    ], failureRows, 'No failures in this group: nothing to repair.', {id: 'failure-groups'}),
    h('h3', {}, 'Parked sequences'),
    table([
      {title: 'Sequence', cell: s => h('code', {}, s.sequenceKey)},
      {title: 'Letters', num: true, cell: s => String(s.size)},
      {title: 'Head cause', cell: s => (s.head && s.head.causeType ? h('code', {}, s.head.causeType) : '—')},
      {title: 'Oldest', cell: s => age(s.oldestEnqueuedAt)},
      {title: 'Claimed by', cell: s => s.claimedBy || '—'},
      {title: 'Actions', cell: s => h('div', {class: 'actions'},
          s.head && s.head.letterId ? h('a', {href: `#/letters/${seg(s.head.letterId)}`, class: 'head-letter'},
            'Head letter') : null,
          h('a', {href: lettersHref(name, {sequence: s.sequenceKey})}, 'Letters'),
          s.head && s.head.letterId ? writeButton('Redeliver', e => act(e.currentTarget,
            () => redeliverVia(s.head.letterId)), {'data-action': 'redeliver'}) : null,
          s.head && s.head.letterId ? writeButton('Evict…', e => evictSequence(e.currentTarget, s.head.letterId,
            s.sequenceKey), {class: 'danger'}) : null)},
    ], (sequences.items || []).map(s => ({...s, __key: s.sequenceKey})),
    'No parked sequences: every event of this group was handled.', {id: 'sequences'}),
    pager(sequences.nextCursor, c => `${groupHref(name)}${query({sequences: c})}`, cursor, groupHref(name)),
  ];
}

function pager(next, hrefFor, cursor, first) {
  if (!next && !cursor) {
    return null;
  }
  return h('div', {class: 'pager'},
    cursor ? h('a', {href: first}, 'First page') : null,
    next ? h('a', {href: hrefFor(next), class: 'next-page'}, 'Next page') : h('span', {class: 'muted'}, 'Last page'));
}

function exportPath(name, filters, format) {
  return `/processing-groups/${seg(name)}/export${query({...filters, format})}`;
}

/** Exports running in this page, by path: a second click on a running export's button starts no second one. */
const exportsRunning = new Set();

/**
 * An export button: a link to the export (to copy, or open in a tab) which, clicked, downloads it through the API
 * client, so that a refused export (429 export-busy, 403, 400) is shown in the error box instead of failing silently.
 */
function exportLink(name, filters, format, label) {
  const path = exportPath(name, filters, format);
  const fallbackName = `${name}-letters.${format}`;
  return h('a', {class: 'button', href: apiUrl(path), download: fallbackName, onclick: async e => {
    e.preventDefault();
    if (exportsRunning.has(path)) {
      return;
    }
    exportsRunning.add(path);
    clearError();
    notice(`Exporting ${name}…`);
    try {
      notice(`Exported to ${await download(path, fallbackName)}`);
    } catch (error) {
      notice('');
      showError(error);
    } finally {
      exportsRunning.delete(path);
    }
  }}, label);
}

async function redeliverVia(letterId) {
  const r = await api('POST', `/letters/${seg(letterId)}/redeliver-sequence`);
  const text = `Redelivery of ${r.sequenceKey ?? 'the sequence'}: ${r.outcome}, ${r.redelivered} redelivered, `
    + `${r.remaining} remaining${r.failureType ? ' (' + r.failureType + ': ' + (r.failureMessage || '') + ')' : ''}`;
  if (r.outcome !== 'DRAINED') {
    // FAILED, UNREADABLE, LEASE_LOST, LIMIT_REACHED, NOT_FOUND: answered with 200, but the sequence is not repaired
    throw new Unfinished(text);
  }
  return text;
}

async function evictSequence(button, letterId, key) {
  if (await confirmAction('Evict sequence', `Remove every letter of sequence ${key} without redelivering them? `
    + 'Their events will never be handled.')) {
    await act(button, async () => {
      const r = await api('DELETE', `/letters/${seg(letterId)}/sequence`);
      return `Evicted ${count(r.removed, 'letter')} of ${key}`;
    });
  }
}

async function eraseGroup(button, name) {
  if (await confirmAction('Erase all letters', `Remove every dead letter of processing group ${name}? Their events `
    + 'will never be handled.', name)) {
    await act(button, async () => {
      const r = await api('DELETE', `/processing-groups/${seg(name)}/letters${query({confirm: name})}`);
      return `Erased ${r.removed == null ? 'all letters' : count(r.removed, 'letter')} of ${name}`;
    });
  }
}

async function retryFailureGroup(button, name, causeType) {
  await act(button, async () => {
    const job = await api('POST', '/retry-jobs',
      {processingGroup: name, filter: {causeType}, batchSize: 10, cooldown: 'PT1S', maxSequences: 100000},
      {'Idempotency-Key': idempotencyKey()});
    state.keepNotice = true;
    location.hash = `#/jobs/${seg(job.id)}`;
    return `Retry job started for ${causeType}`;
  });
}

/** Evicts every sequence that holds a letter of the cause (found through the letters listing, 500 at a time). */
async function evictFailureGroup(button, name, causeType) {
  if (!await confirmAction('Evict failure group', `Remove every sequence of ${name} that holds a letter failing `
    + `with ${causeType}, without redelivering them?`)) {
    return;
  }
  await act(button, async () => {
    const sequences = new Map();
    let cursor = '';
    do {
      const page = await api('GET',
        `/processing-groups/${seg(name)}/letters${query({causeType, limit: pageSize(500), cursor})}`);
      (page.items || []).forEach(l => {
        if (!sequences.has(l.sequenceKey)) {
          sequences.set(l.sequenceKey, l.id);
        }
      });
      cursor = page.nextCursor || '';
    } while (cursor);
    let evicted = 0;
    let gone = 0;
    let removed = 0;
    for (const letterId of sequences.values()) {
      try {
        const r = await api('DELETE', `/letters/${seg(letterId)}/sequence`);
        evicted++;
        removed += r.removed || 0;
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          // Removed since the listing (another operator, a retry job): gone as asked, the others still to do.
          gone++;
          continue;
        }
        // Said with what was done so far, and the group shown as it is now (act re-renders after Unfinished).
        throw new Unfinished(`Evicted ${evicted} of ${count(sequences.size, 'sequence')}, ${count(removed, 'letter')}, `
          + 'then: ' + e.message);
      }
    }
    return `Evicted ${count(evicted, 'sequence')}, ${count(removed, 'letter')}`
      + (gone ? `; ${count(gone, 'sequence')} already gone` : '');
  });
}

// --- letters ----------------------------------------------------------------------------------------------------

const FILTERS = ['sequence', 'causeType', 'payloadType', 'from', 'to'];

async function letters(name, params) {
  const filters = {};
  FILTERS.forEach(f => {
    if (params.get(f)) {
      filters[f] = params.get(f);
    }
  });
  const cursor = params.get('cursor') || '';
  const page = await api('GET',
    `/processing-groups/${seg(name)}/letters${query({...filters, limit: pageSize(50), cursor})}`);
  const form = h('form', {class: 'filters', id: 'letter-filters', onsubmit: e => {
    e.preventDefault();
    const data = new FormData(e.target);
    const next = {};
    FILTERS.forEach(f => {
      let v = (data.get(f) || '').trim();
      if (v && (f === 'from' || f === 'to')) {
        v = new Date(v).toISOString();
      }
      if (v) {
        next[f] = v;
      }
    });
    location.hash = lettersHref(name, next);
  }},
  filterInput('Sequence key', 'sequence', filters.sequence),
  filterInput('Cause type', 'causeType', filters.causeType),
  filterInput('Payload type', 'payloadType', filters.payloadType),
  filterInput('Enqueued from', 'from', toLocalInput(filters.from), 'datetime-local'),
  filterInput('Enqueued before', 'to', toLocalInput(filters.to), 'datetime-local'),
  h('button', {type: 'submit', class: 'primary'}, 'Filter'),
  h('a', {href: lettersHref(name)}, 'Clear'));
  return [
    h('p', {class: 'muted'}, h('a', {href: '#/'}, 'Overview'), ' / ', h('a', {href: groupHref(name)}, name),
      ' / letters'),
    h('h2', {}, 'Letters of ', h('code', {}, name)),
    form,
    h('div', {class: 'actions'},
      exportLink(name, filters, 'json', 'Export these (JSON)'),
      exportLink(name, filters, 'ndjson', 'Export these (NDJSON)')),
    table([
      {title: 'Enqueued', cell: l => dateTime(l.enqueuedAt)},
      {title: 'Letter', cell: l => h('a', {href: `#/letters/${seg(l.id)}`, class: 'letter-link'}, shortId(l.id))},
      {title: 'Sequence', cell: l => h('code', {}, `${l.sequenceKey} #${l.sequenceIndex}`)},
      {title: 'Payload type', cell: l => h('code', {}, l.payloadType)},
      {title: 'Cause', cell: l => (l.cause ? [h('code', {}, l.cause.type), ': ', l.cause.message || '']
          : h('span', {class: 'muted'}, 'parked'))},
      {title: 'Attempts', num: true, cell: l => String(l.attempts)},
    ], (page.items || []).map(l => ({...l, __key: l.id})),
    Object.keys(filters).length ? 'No letter matches these filters.' : 'This group holds no letters.',
    {id: 'letters'}),
    pager(page.nextCursor, c => lettersHref(name, {...filters, cursor: c}), cursor, lettersHref(name, filters)),
  ];
}

function filterInput(label, name, value, type = 'text') {
  return h('label', {}, label, h('input', {name, type, value: value || '', 'data-focus': 'filter-' + name}));
}

function toLocalInput(iso) {
  if (!iso) {
    return '';
  }
  const d = new Date(iso);
  if (isNaN(d)) {
    return '';
  }
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

// --- one letter -------------------------------------------------------------------------------------------------

async function letter(id) {
  const l = await api('GET', `/letters/${seg(id)}`, undefined, {}, {exactNumbers: true});
  let payload;
  if (l.payloadFormat === 'json' || l.payloadFormat === 'json-masked') {
    payload = h('pre', {id: 'payload'}, JSON.stringify(l.payload, null, 2));
  } else if (l.payloadFormat === 'omitted') {
    payload = h('p', {class: 'muted', id: 'payload'}, 'Payload not shown: ' + (l.payloadOmittedReason || ''));
  } else {
    payload = [h('p', {class: 'muted'}, l.payloadReason || 'The payload is not JSON.'),
      h('pre', {id: 'payload'}, l.payloadText || l.payload || '')];
  }
  const cause = l.cause;
  return [
    h('p', {class: 'muted'}, h('a', {href: '#/'}, 'Overview'), ' / ',
      h('a', {href: groupHref(l.processingGroup)}, l.processingGroup), ' / ',
      h('a', {href: lettersHref(l.processingGroup, {sequence: l.sequenceKey})}, l.sequenceKey), ' / letter'),
    h('h2', {}, 'Letter ', h('code', {}, l.id)),
    state.me.mayWrite ? h('div', {class: 'actions'},
      h('button', {type: 'button', class: 'primary', id: 'redeliver-sequence', onclick: e => act(e.currentTarget,
        () => redeliverVia(l.id), groupHref(l.processingGroup))}, 'Redeliver sequence'),
      h('button', {type: 'button', class: 'danger', id: 'evict-letter', onclick: async e => {
        const button = e.currentTarget;
        if (await confirmAction('Evict letter', 'Remove this letter without redelivering it? Its event will never '
          + 'be handled.')) {
          await act(button, async () => {
            await api('DELETE', `/letters/${seg(l.id)}`);
            return `Evicted letter ${l.id}`;
          }, groupHref(l.processingGroup));
        }
      }}, 'Evict letter…'),
      h('button', {type: 'button', class: 'danger', id: 'evict-sequence', onclick: async e => {
        const button = e.currentTarget;
        if (await confirmAction('Evict sequence', `Remove every letter of sequence ${l.sequenceKey}?`)) {
          await act(button, async () => {
            const r = await api('DELETE', `/letters/${seg(l.id)}/sequence`);
            return `Evicted ${count(r.removed, 'letter')} of ${l.sequenceKey}`;
          }, groupHref(l.processingGroup));
        }
      }}, 'Evict sequence…')) : null,
    l.redeliverable === false ? h('p', {class: 'card warning', id: 'not-redeliverable'},
      'Redelivery cannot handle this letter: ', l.notRedeliverableReason || l.deserializationError || 'unreadable')
      : null,
    h('div', {class: 'grid2'},
      h('section', {class: 'card', 'aria-labelledby': 'letter-facts'},
        h('h3', {id: 'letter-facts'}, 'Event'),
        kv([
          ['Processing group', l.processingGroup],
          ['Sequence', h('code', {}, `${l.sequenceKey} #${l.sequenceIndex}`)],
          ['Event id', h('code', {}, l.eventIdentifier)],
          ['Payload type', h('code', {id: 'payload-type'}, l.payloadType + (l.payloadRevision
            ? ' (revision ' + l.payloadRevision + ')' : ''))],
          l.aggregate ? ['Aggregate', h('code', {}, `${l.aggregate.type ?? ''} ${l.aggregate.identifier ?? ''} `
            + `#${l.aggregate.sequenceNumber ?? ''}`)] : null,
          ['Event time', dateTime(l.eventTimestamp)],
          ['Enqueued', dateTime(l.enqueuedAt)],
          ['Last touched', dateTime(l.lastTouched)],
          ['Attempts', h('span', {id: 'attempts'}, String(l.attempts))],
          ['Parked', l.parked ? 'yes, behind an earlier letter of its sequence' : 'no'],
          ['Correlation id', h('code', {id: 'correlation-id'}, l.correlationId || '—')],
          ['Trace id', h('code', {id: 'trace-id'}, l.traceId || '—')],
        ])),
      h('section', {class: 'card', 'aria-labelledby': 'letter-cause'},
        h('h3', {id: 'letter-cause'}, 'Cause'),
        cause ? [h('p', {}, h('code', {id: 'cause-type'}, cause.type)),
          h('p', {id: 'cause-message'}, cause.message || ''),
          cause.stackTrace ? h('details', {}, h('summary', {}, 'Stack trace'),
            h('pre', {id: 'stack-trace'}, cause.stackTrace)) : null]
          : h('p', {class: 'muted', id: 'cause-type'}, 'None of its own: parked behind an earlier failure of its '
            + 'sequence.'))),
    h('section', {class: 'card', 'aria-labelledby': 'payload-title'},
      h('h3', {id: 'payload-title'}, 'Payload', l.payloadFormat === 'json-masked' ? ' (masked)' : ''), payload),
    h('div', {class: 'grid2'},
      h('section', {class: 'card', 'aria-labelledby': 'metadata-title'},
        h('h3', {id: 'metadata-title'}, 'Metadata'),
        h('pre', {id: 'metadata'}, JSON.stringify(l.metadata ?? {}, null, 2))),
      h('section', {class: 'card', 'aria-labelledby': 'attempts-title'},
        h('h3', {id: 'attempts-title'}, 'Attempt history'),
        (l.attemptHistory || []).length
          ? h('ol', {class: 'timeline', id: 'attempt-history'}, l.attemptHistory.map(a => h('li', {},
            h('strong', {}, `Attempt ${a.attempt}`), ' · ', dateTime(a.failedAt), ' · ', a.node || '', h('br'),
            h('code', {}, a.causeType || ''), ': ', a.causeMessage || '')))
          : h('p', {class: 'muted', id: 'attempt-history'}, 'No failed attempt recorded (a parked letter).'))),
  ];
}

// --- retry jobs -------------------------------------------------------------------------------------------------

async function jobs(params) {
  const cursor = params.get('cursor') || '';
  const [list, groups] = await Promise.all([api('GET', `/retry-jobs${query({limit: pageSize(50), cursor})}`),
    state.me.mayWrite ? api('GET', '/processing-groups') : Promise.resolve({items: []})]);
  return [
    h('h2', {}, 'Retry jobs'),
    state.me.mayWrite ? startJobForm(groups.items || [], params) : null,
    h('h3', {}, 'History'),
    table([
      {title: 'Started', cell: j => h('a', {href: `#/jobs/${seg(j.id)}`, class: 'job-link'}, dateTime(j.createdAt))},
      {title: 'Group', cell: j => j.processingGroup},
      {title: 'Cause filter', cell: j => (j.request && j.request.filter && j.request.filter.causeType) || 'all'},
      {title: 'State', cell: j => h('span', {class: 'badge ' + j.state}, j.state)},
      {title: 'Progress', cell: j => progress(j)},
      {title: 'By', cell: j => j.createdBy || '—'},
    ], (list.items || []).map(j => ({...j, __key: j.id})),
    'No retry job yet. Start one to redeliver many sequences at a controlled pace.', {id: 'jobs'}),
    pager(list.nextCursor, c => `#/jobs${query({cursor: c})}`, cursor, '#/jobs'),
  ];
}

function startJobForm(groups, params) {
  const chosen = params.get('group') || (groups.find(g => g.letters > 0) || groups[0] || {}).name;
  return h('section', {class: 'card', 'aria-labelledby': 'start-title'},
    h('h3', {id: 'start-title'}, 'Start a retry job'),
    h('form', {class: 'stack', id: 'start-job', onsubmit: async e => {
      e.preventDefault();
      const data = new FormData(e.target);
      const filter = {};
      ['causeType', 'payloadType'].forEach(f => {
        if ((data.get(f) || '').trim()) {
          filter[f] = data.get(f).trim();
        }
      });
      const body = {processingGroup: data.get('processingGroup'), filter,
        batchSize: Number(data.get('batchSize')), cooldown: `PT${Number(data.get('cooldown'))}S`,
        maxSequences: Number(data.get('maxSequences'))};
      const button = e.target.querySelector('button[type=submit]');
      await act(button, async () => {
        const job = await api('POST', '/retry-jobs', body, {'Idempotency-Key': idempotencyKey()});
        state.keepNotice = true;
        location.hash = `#/jobs/${seg(job.id)}`;
        return 'Retry job started';
      });
    }},
    h('label', {}, 'Processing group', h('select', {name: 'processingGroup', required: true, 'data-focus': 'job-group'},
      groups.map(g => h('option', {value: g.name, selected: g.name === chosen},
        `${g.name} (${count(g.letters, 'letter')})`)))),
    h('label', {}, 'Cause type (optional)', h('input', {name: 'causeType', value: params.get('causeType') || '',
      'data-focus': 'job-cause'})),
    h('label', {}, 'Payload type (optional)', h('input', {name: 'payloadType', 'data-focus': 'job-payload'})),
    h('label', {}, 'Batch size (sequences)', h('input', {name: 'batchSize', type: 'number', min: 1, max: 1000,
      value: 10, required: true, 'data-focus': 'job-batch'})),
    h('label', {}, 'Cooldown between batches (s)', h('input', {name: 'cooldown', type: 'number', min: 0, max: 3600,
      value: 1, required: true, 'data-focus': 'job-cooldown'})),
    h('label', {}, 'Max sequences', h('input', {name: 'maxSequences', type: 'number', min: 1, max: 1000000,
      value: 1000, required: true, 'data-focus': 'job-max'})),
    h('div', {}, h('button', {type: 'submit', class: 'primary', disabled: groups.length === 0}, 'Start'))));
}

async function job(id, params) {
  // A job's per-sequence outcomes may come in pages (nextCursor); a cursor is only sent when the API gave one.
  const cursor = params.get('cursor') || '';
  const j = await api('GET', `/retry-jobs/${seg(id)}${query({cursor})}`);
  const r = j.request || {};
  const filter = r.filter || {};
  const outcomes = j.sequences || (j.outcomes && j.outcomes.items) || [];
  const running = j.state === 'RUNNING';
  return [
    h('p', {class: 'muted'}, h('a', {href: '#/jobs'}, 'Retry jobs'), ' / ', shortId(j.id)),
    h('h2', {}, 'Retry job ', h('code', {}, shortId(j.id)), ' ',
      h('span', {class: 'badge ' + j.state, id: 'job-state'}, j.state),
      j.stopRequested && running ? h('span', {class: 'badge'}, 'stopping') : null),
    h('section', {class: 'card', id: 'job-progress'}, progress(j)),
    running && !j.stopRequested ? writeButton('Stop job', async e => {
      const button = e.currentTarget;
      if (await confirmAction('Stop retry job', 'Stop this job after its current sequence?')) {
        await act(button, async () => {
          await api('POST', `/retry-jobs/${seg(j.id)}/stop`);
          return 'Stop requested';
        });
      }
    }, {class: 'danger', id: 'stop-job'}) : null,
    h('section', {class: 'card'}, kv([
      ['Group', h('a', {href: groupHref(j.processingGroup)}, j.processingGroup)],
      ['Cause type', filter.causeType || 'any'],
      ['Payload type', filter.payloadType || 'any'],
      ['Batch size', String(r.batchSize ?? '—')],
      ['Cooldown', r.cooldown || '—'],
      ['Max sequences', String(r.maxSequences ?? '—')],
      ['Started', dateTime(j.createdAt)],
      ['Updated', dateTime(j.updatedAt)],
      ['By', j.createdBy || '—'],
      ['Runs on', j.owner || '—'],
      j.failure ? ['Failure', j.failure] : null,
    ])),
    h('h3', {}, 'Sequences'),
    table([
      {title: 'Sequence', cell: s => h('code', {}, s.sequenceKey)},
      {title: 'Outcome', cell: s => s.outcome || '—'},
      {title: 'Redelivered', num: true, cell: s => String(s.redelivered ?? '—')},
      {title: 'Remaining', num: true, cell: s => String(s.remaining ?? '—')},
      {title: 'Detail', cell: s => s.detail || ''},
      {title: 'Finished', cell: s => dateTime(s.finishedAt)},
    ], outcomes, 'No sequence finished yet.', {id: 'job-sequences'}),
    pager(j.nextCursor || j.next, c => `#/jobs/${seg(j.id)}${query({cursor: c})}`, cursor, `#/jobs/${seg(j.id)}`),
  ];
}

// --- audit ------------------------------------------------------------------------------------------------------

/** Parameters of GET /audit; the hash keeps the same names, so a filtered view is a deep link. */
const AUDIT_FILTERS = ['actor', 'action', 'processingGroup', 'from', 'to'];
/** Every action the library audits, offered even when the current page holds none of them. */
const AUDIT_ACTIONS = ['create-retry-job', 'erase-group', 'evict-letter', 'evict-sequence', 'export', 'read-letter',
  'redeliver-letter', 'redeliver-oldest', 'redeliver-sequence', 'retry-job-finished', 'retry-job-sequence',
  'stop-retry-job'];

const auditHref = (filters = {}) => `#/audit${query(filters)}`;

async function audit(params) {
  const filters = {};
  AUDIT_FILTERS.forEach(f => {
    if (params.get(f)) {
      filters[f] = params.get(f);
    }
  });
  const cursor = params.get('cursor') || '';
  // The server filters: every page, "Next page" included, holds only matching entries.
  const page = await api('GET', `/audit${query({...filters, limit: pageSize(200), cursor})}`);
  const items = page.items || [];
  const actions = [...new Set([...AUDIT_ACTIONS, ...items.map(e => e.action), filters.action].filter(Boolean))]
    .sort();
  const filtered = Object.keys(filters).length > 0;
  return [
    h('h2', {}, 'Audit log'),
    h('form', {class: 'filters', id: 'audit-filters', onsubmit: e => {
      e.preventDefault();
      const data = new FormData(e.target);
      const next = {};
      AUDIT_FILTERS.forEach(f => {
        let v = (data.get(f) || '').trim();
        if (v && (f === 'from' || f === 'to')) {
          v = new Date(v).toISOString();
        }
        if (v) {
          next[f] = v;
        }
      });
      location.hash = auditHref(next);
    }},
    filterInput('Actor', 'actor', filters.actor),
    h('label', {}, 'Action', h('select', {name: 'action', 'data-focus': 'filter-action'},
      h('option', {value: ''}, 'any'),
      actions.map(a => h('option', {value: a, selected: a === filters.action}, a)))),
    filterInput('Processing group', 'processingGroup', filters.processingGroup),
    filterInput('From', 'from', toLocalInput(filters.from), 'datetime-local'),
    filterInput('Before', 'to', toLocalInput(filters.to), 'datetime-local'),
    h('button', {type: 'submit', class: 'primary'}, 'Filter'),
    h('a', {href: auditHref()}, 'Clear')),
    table([
      {title: 'When', cell: e => dateTime(e.occurredAt)},
      {title: 'Actor', cell: e => e.actor},
      {title: 'Action', cell: e => h('code', {}, e.action)},
      {title: 'Group', cell: e => e.processingGroup || '—'},
      {title: 'Target', cell: e => (e.target ? h('code', {}, e.target) : '—')},
      {title: 'Outcome', cell: e => e.outcome || '—'},
      {title: 'Detail', cell: e => e.detail || ''},
      {title: 'Parameters', cell: e => (e.parameters && Object.keys(e.parameters).length
          ? h('code', {}, JSON.stringify(e.parameters)) : '')},
    ], items.map(e => ({...e, __key: e.id})),
    filtered ? 'No audit entry matches these filters.'
      : 'Nothing audited yet: redeliveries, evictions, exports and retry jobs are recorded here.', {id: 'audit'}),
    pager(page.nextCursor, c => auditHref({...filters, cursor: c}), cursor, auditHref(filters)),
  ];
}

// --- start ------------------------------------------------------------------------------------------------------

function refreshLabel(current = route()) {
  const toggle = document.getElementById('refresh-toggle');
  toggle.textContent = state.paused ? 'Resume auto-refresh' : 'Pause auto-refresh';
  toggle.setAttribute('aria-pressed', String(state.paused));
  // A letter's page is never auto-refreshed (each read of a letter is audited): the header does not claim it is, nor
  // offers to pause what does not run there. Refresh (by hand) stays.
  toggle.hidden = Boolean(current.noRefresh);
  document.getElementById('refresh-state').textContent = current.noRefresh ? 'this page is not refreshed by itself'
    : state.paused ? 'auto-refresh paused' : `auto-refresh every ${REFRESH_MS / 1000} s`;
}

function busy() {
  const active = document.activeElement;
  return document.getElementById('confirm').open
    || (active && ['INPUT', 'SELECT', 'TEXTAREA'].includes(active.tagName) && view.contains(active));
}

async function start() {
  try {
    state.me = await api('GET', '/me');
  } catch (e) {
    showError(e);
  }
  document.getElementById('who').textContent = state.me.name
    ? `${state.me.name}${state.me.mayWrite ? '' : ' (read only)'}` : '';
  document.body.dataset.mayWrite = String(Boolean(state.me.mayWrite));
  document.getElementById('refresh-toggle').addEventListener('click', () => {
    state.paused = !state.paused;
    refreshLabel();
  });
  document.getElementById('refresh-now').addEventListener('click', () => render(true));
  // "Skip to content" only moves the focus: its #view is no route, followed the router would show "Not found".
  document.querySelector('a.skip').addEventListener('click', e => {
    e.preventDefault();
    view.focus();
  });
  // A form typed into is the operator's until they leave the page (render keeps it through auto-refreshes).
  const markEdited = e => {
    if (e.target.form) {
      e.target.form.dataset.edited = '';
    }
  };
  view.addEventListener('input', markEdited);
  view.addEventListener('change', markEdited);
  refreshLabel();
  window.addEventListener('hashchange', () => {
    clearError();
    // An action's outcome stays on the page it leads to; any other navigation clears it.
    if (!state.keepNotice) {
      notice('');
    }
    state.keepNotice = false;
    render(false);
  });
  setInterval(() => {
    if (!state.paused && !state.loading && !busy() && !route().noRefresh) {
      state.autoRefreshing = true;
      Promise.resolve(render(true)).finally(() => { state.autoRefreshing = false; });
    }
  }, REFRESH_MS);
  await render(false);
}

start();
