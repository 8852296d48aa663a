// DOM helpers. Everything the API returns is put into the page as text (never as HTML).

/** h('a', {href: '#/'}, 'text', child...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'style' && typeof value === 'object') {
      // Through the CSSOM: a style attribute is inline style, which a Content-Security-Policy without
      // 'unsafe-inline' refuses; the CSSOM is allowed.
      Object.assign(el.style, value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, value);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(el, child);
    } else if (child instanceof Node) {
      el.appendChild(child);
    } else {
      el.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** A table, or the empty state when there are no rows. */
export function table(columns, rows, empty, attrs = {}) {
  if (!rows.length) {
    return h('div', {class: 'empty', ...attrs}, empty);
  }
  return h('div', {class: 'table-wrap'},
    h('table', attrs,
      h('thead', {}, h('tr', {}, columns.map(c => h('th', {scope: 'col', class: c.num ? 'num' : null}, c.title)))),
      h('tbody', {}, rows.map(row => h('tr', {dataset: row.__key ? {key: row.__key} : undefined},
        columns.map(c => h('td', {class: c.num ? 'num' : null}, c.cell(row))))))));
}

export function dateTime(iso) {
  if (!iso) {
    return '—';
  }
  const d = new Date(iso);
  return h('time', {datetime: iso, title: iso}, d.toLocaleString());
}

/** "3 h 5 min" from an instant to now. */
export function age(iso) {
  if (!iso) {
    return '—';
  }
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  let text;
  // Whole minutes at most: an auto-refresh then changes nothing on the page while nothing happened.
  if (seconds < 60) {
    text = 'under a minute';
  } else if (seconds < 3600) {
    text = Math.floor(seconds / 60) + ' min';
  } else if (seconds < 86400) {
    text = Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
  } else {
    text = Math.floor(seconds / 86400) + ' d ' + Math.floor((seconds % 86400) / 3600) + ' h';
  }
  return h('span', {title: iso}, text);
}

export const shortId = id => (id ? String(id).slice(0, 8) : '—');

export function kv(pairs) {
  return h('dl', {class: 'kv'}, pairs.filter(p => p).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

/** A progress bar of a retry job: succeeded and failed out of total. */
export function progress(job) {
  const total = Math.max(job.total || 0, 1);
  const ok = Math.round(100 * (job.succeeded || 0) / total);
  const failed = Math.round(100 * (job.failed || 0) / total);
  const done = (job.succeeded || 0) + (job.failed || 0) + (job.skipped || 0);
  return h('div', {class: 'progress-cell'},
    h('div', {class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(job.total || 0),
      'aria-valuenow': String(done), 'aria-label': 'retry job progress'},
      h('div', {class: 'bar-row'},
        h('div', {style: {width: `${ok}%`}}), h('div', {class: 'failed', style: {width: `${failed}%`}}))),
    h('span', {class: 'muted job-counts'},
      `${done} of ${count(job.total ?? 0, 'sequence')} · ${job.succeeded ?? 0} redelivered · `
      + `${job.failed ?? 0} failed · ${job.remaining ?? 0} remaining`));
}

/**
 * Letters per hour as bars (SVG, no library): one bar per hour, oldest left. The bars stretch to the chart's width
 * (preserveAspectRatio none); the hour labels are HTML below them, so that they keep their shape at any width, and the
 * last one ends at the chart's right edge rather than beyond it.
 */
export function hourChart(from, hours, counts) {
  const width = 720;
  const height = 130;
  const max = Math.max(1, ...counts);
  const slot = width / hours;
  const start = new Date(from).getTime();
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const total = counts.reduce((a, b) => a + b, 0);
  svg.setAttribute('aria-label', `Letters enqueued per hour over the last ${count(hours, 'hour')}: ${total} in all`);
  const labels = [];
  counts.forEach((letters, i) => {
    const hourStart = new Date(start + i * 3600_000);
    const barHeight = Math.round((height - 4) * letters / max);
    const rect = document.createElementNS(svg.namespaceURI, 'rect');
    rect.setAttribute('class', 'bar');
    rect.setAttribute('x', String(i * slot + 2));
    rect.setAttribute('width', String(Math.max(1, slot - 4)));
    rect.setAttribute('y', String(height - barHeight));
    rect.setAttribute('height', String(barHeight));
    rect.dataset.letters = String(letters);
    const title = document.createElementNS(svg.namespaceURI, 'title');
    title.textContent = `${hourStart.toLocaleString()}: ${count(letters, 'letter')}`;
    rect.appendChild(title);
    svg.appendChild(rect);
    if (i % 6 === 0 || i === hours - 1) {
      const text = hourStart.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'});
      // Under the start of its bar; the last under the end of its bar, so that it ends inside the chart.
      labels.push(i === hours - 1 && i > 0
        ? h('span', {class: 'hour-label last'}, text)
        : h('span', {class: 'hour-label', style: {left: `${(100 * i) / hours}%`}}, text));
    }
  });
  // The SVG's aria-label says it all: the labels are not read out a second time.
  return h('div', {class: 'hour-chart'}, svg, h('div', {class: 'hour-labels', 'aria-hidden': 'true'}, labels));
}

/** The noun for a count: "letter" for 1, else "letters" (or the given plural). */
export const noun = (n, singular, plural = singular + 's') => (Number(n) === 1 ? singular : plural);

/** A count with its noun: "1 letter", "2 letters", "0 letters". */
export const count = (n, singular, plural) => `${n} ${noun(n, singular, plural)}`;
