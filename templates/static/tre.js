// The platform's only script: small, written here, no build step; every page works without it.
// 1. Ctrl+Enter (Cmd+Enter on a Mac) in a SQL box submits its form.
// 2. On a signed-in page, a warning shows before the session would end for lack of use
//    (two minutes before, or half the idle time when that is shorter); "Stay signed in"
//    touches the session and starts the count again. When the time is up, the page goes to
//    the sign-in page, so that nothing stays on screen of a session that has ended.
// In the workspace (its texts, in the page's language, come from #workspace-texts):
// 3. The SQL box (#sql) is highlighted: a <pre> behind the textarea, whose own text is made
//    transparent, shows keywords, strings, numbers, comments and the schema's table and
//    column names (from #schema) in colour.
// 4. Typing part of a table or column name offers the matching names in a listbox under the
//    box (an ARIA combobox): arrows move, Enter or Tab accepts, Escape closes.
// 5. A result (#result-rows) longer than a page shows a page at a time, with Previous/Next.
// 6. While a query runs, the seconds count under the Run button, which is disabled, and
//    "Cancel" asks the server to stop it; the server then answers with the page that says so.
// The pure logic (tokenizer, suggestions, page bounds, placeholders) is also exposed as
// globalThis.treSql when there is no document, so that Node can test it.
(function (root) {
  'use strict';

  // ---- Pure logic, without the DOM.
  var KEYWORDS = Object.create(null);
  ('select from where and or not in is null as on join left right inner outer full cross ' +
   'natural using group by order having limit offset fetch first next rows only distinct all ' +
   'union intersect except case when then else end with recursive between like ilike glob ' +
   'similar escape exists any some asc desc nulls last true false cast try_cast count sum avg ' +
   'min max over partition window filter within range preceding following unbounded current ' +
   'row lateral values interval date time timestamp extract coalesce nullif greatest least ' +
   'qualify pivot unpivot collate if replace exclude columns').split(' ').forEach(function (w) {
    KEYWORDS[w] = true;
  });
  var WORD = /^(table|col|id|kw)$/;
  var TOKEN = new RegExp([
    '(\\s+)',                                           // 1 white space
    '(--[^\\n]*|/\\*[\\s\\S]*?(?:\\*/|$))',             // 2 comment
    "('(?:[^']|'')*'?)",                                // 3 string
    '("(?:[^"]|"")*"?)',                                // 4 quoted identifier
    '((?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)',     // 5 number
    '([A-Za-z_\\u0080-\\uffff][\\w$\\u0080-\\uffff]*)', // 6 word
    '([\\s\\S])'                                        // 7 anything else
  ].join('|'), 'g');

  // Substitutes {name} placeholders in a translated text.
  function fill(text, values) {
    return String(text == null ? '' : text).replace(/\{(\w+)\}/g, function (all, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  // The schema's names for lookup: pairs is [[table, [column, ...]], ...].
  function schemaNames(pairs) {
    var s = { tables: [], columns: [], isTable: Object.create(null), isColumn: Object.create(null),
              byTable: Object.create(null) };
    pairs.forEach(function (pair) {
      var t = pair[0];
      if (s.isTable[t.toLowerCase()]) { return; }
      s.isTable[t.toLowerCase()] = true;
      s.tables.push(t);
      s.byTable[t.toLowerCase()] = pair[1].slice();
      pair[1].forEach(function (c) {
        if (!s.isColumn[c.toLowerCase()]) { s.isColumn[c.toLowerCase()] = true; s.columns.push(c); }
      });
    });
    return s;
  }

  // Splits SQL into tokens {type, text}, type one of ws com str num table col kw id op.
  function tokenize(sql, schema) {
    var tokens = [], m, word, types = ['ws', 'com', 'str', 'id', 'num', 'id', 'op'];
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(sql)) !== null) {
      var i = 1;
      while (m[i] === undefined) { i++; }
      var type = types[i - 1];
      if (i === 4 || i === 6) {
        word = (i === 4 ? m[0].replace(/^"|"$/g, '').replace(/""/g, '"') : m[0]).toLowerCase();
        type = schema && schema.isTable[word] ? 'table' : schema && schema.isColumn[word] ? 'col' :
          i === 6 && KEYWORDS[word] ? 'kw' : 'id';
      }
      tokens.push({ type: type, text: m[0] });
    }
    return tokens;
  }

  // The identifier being typed at caret: {start, prefix, table} (table: the word before a dot
  // just before it), or null inside a string, comment or quoted name, or in a word's middle.
  function wordBefore(text, caret, schema) {
    if (/[\w$\u0080-\uffff]/.test(text.charAt(caret))) { return null; }
    var tokens = tokenize(text.slice(0, caret), schema), n = tokens.length, last = tokens[n - 1];
    if (!last || !WORD.test(last.type) || last.text.charAt(0) === '"') { return null; }
    var dot = n > 2 && tokens[n - 2].text === '.' && WORD.test(tokens[n - 3].type);
    return { start: caret - last.text.length, prefix: last.text, table: dot ? tokens[n - 3].text : null };
  }

  // Names matching prefix: first those that start with it, then those with a word (after an
  // underscore) that does; tables before columns. None for a complete name or keyword, so
  // that Enter after one still makes a new line.
  function suggest(prefix, schema, table, max) {
    var p = prefix.toLowerCase(), starts = [], parts = [];
    if (!p || schema.isTable[p] || schema.isColumn[p] || KEYWORDS[p]) { return []; }
    var cols = (table && schema.byTable[table.toLowerCase()]) || schema.columns;
    var pool = (table ? [] : schema.tables.map(function (t) { return { name: t, kind: 'table' }; }))
      .concat(cols.map(function (c) { return { name: c, kind: 'col' }; }));
    pool.forEach(function (item) {
      var n = item.name.toLowerCase();
      if (n.indexOf(p) === 0) { starts.push(item); } else if (n.indexOf('_' + p) > 0) { parts.push(item); }
    });
    return starts.concat(parts).slice(0, max || 8);
  }

  // Page `page` (from 0, clamped) of `total` rows, `size` a page: rows from..to, from 1.
  function pageBounds(page, size, total) {
    var pages = Math.max(1, Math.ceil(total / size));
    page = Math.min(Math.max(0, page), pages - 1);
    return { page: page, pages: pages, from: total ? page * size + 1 : 0, to: Math.min(total, (page + 1) * size) };
  }

  if (typeof document === 'undefined') {
    root.treSql = { fill: fill, schemaNames: schemaNames, tokenize: tokenize, wordBefore: wordBefore,
                    suggest: suggest, pageBounds: pageBounds };
    return;
  }

  // ---- The page.
  document.addEventListener('keydown', function (e) {
    var box = e.target;
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && box && box.tagName === 'TEXTAREA' &&
        box.name === 'sql' && box.form) {
      e.preventDefault();
      if (box.form.requestSubmit) { box.form.requestSubmit(); } else { box.form.submit(); }
    }
  });

  var texts = document.getElementById('workspace-texts');
  function say(name, values) { return fill(texts.getAttribute('data-' + name), values); }
  function make(tag, className, id, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (id) { el.id = id; }
    if (tag === 'button') { el.type = 'button'; }
    if (text) { el.textContent = text; }
    return el;
  }

  var sql = document.getElementById('sql');
  if (sql) { editor(sql); }
  var rows = document.getElementById('result-rows');
  if (rows && texts && rows.tBodies[0]) { pager(rows.tBodies[0].rows, rows); }
  if (texts) { progress(document.querySelectorAll('form.query')); }
  sessionWarning();

  function editor(box) {
    var pairs = [];
    Array.prototype.forEach.call(document.querySelectorAll('#schema details[data-table]'), function (d) {
      pairs.push([d.getAttribute('data-table'), Array.prototype.map.call(
        d.querySelectorAll('tr[data-column]'), function (tr) { return tr.getAttribute('data-column'); })]);
    });
    var schema = schemaNames(pairs), focused = document.activeElement === box;
    var wrap = make('div', 'sql-editor'), pre = make('pre', 'sql-highlight');
    pre.setAttribute('aria-hidden', 'true');
    box.parentNode.insertBefore(wrap, box);
    wrap.appendChild(pre);
    wrap.appendChild(box);
    if (focused) { box.focus(); }

    function sync() { pre.scrollTop = box.scrollTop; pre.scrollLeft = box.scrollLeft; }
    function paint() {
      var frag = document.createDocumentFragment();
      tokenize(box.value, schema).forEach(function (t) {
        if (t.type === 'ws') { frag.appendChild(document.createTextNode(t.text)); return; }
        frag.appendChild(make('span', 'sql-' + t.type, '', t.text));
      });
      // A final line break makes an empty line in the textarea but not in the <pre>.
      if (/\n$/.test(box.value)) { frag.appendChild(document.createTextNode(' ')); }
      pre.textContent = '';
      pre.appendChild(frag);
      sync();
    }
    box.addEventListener('input', paint);
    box.addEventListener('scroll', sync);
    window.addEventListener('resize', sync);
    if (window.ResizeObserver) { new ResizeObserver(sync).observe(box); }
    paint();
    if (schema.tables.length) { completion(box, wrap, schema, paint); }
  }

  function completion(box, wrap, schema, paint) {
    var list = make('ul', 'sql-suggestions', 'sql-suggestions');
    var status = make('div', 'visually-hidden');
    var label = box.labels && box.labels[0];
    var items = [], active = -1, word = null, told = '', accepting = false;
    list.setAttribute('role', 'listbox');
    list.hidden = true;
    if (label) {
      label.id = label.id || 'sql-label';
      list.setAttribute('aria-labelledby', label.id);
    }
    status.setAttribute('role', 'status');
    wrap.appendChild(list);
    wrap.parentNode.insertBefore(status, wrap.nextSibling);
    box.setAttribute('role', 'combobox');
    box.setAttribute('aria-autocomplete', 'list');
    box.setAttribute('aria-controls', list.id);
    box.setAttribute('aria-expanded', 'false');

    function tell(text) { if (text !== told) { status.textContent = told = text; } }
    function close() {
      if (list.hidden) { return; }
      list.hidden = true;
      list.textContent = '';
      items = [];
      active = -1;
      box.setAttribute('aria-expanded', 'false');
      box.removeAttribute('aria-activedescendant');
      tell('');
    }
    function choose(i) {
      active = (i + items.length) % items.length;
      Array.prototype.forEach.call(list.children, function (li, j) {
        li.setAttribute('aria-selected', j === active ? 'true' : 'false');
        li.classList.toggle('active', j === active);
      });
      box.setAttribute('aria-activedescendant', list.children[active].id);
    }
    function open() {
      var caret = box.selectionStart;
      word = caret === box.selectionEnd ? wordBefore(box.value, caret, schema) : null;
      items = word ? suggest(word.prefix, schema, word.table, 8) : [];
      if (!items.length) { close(); return; }
      list.textContent = '';
      items.forEach(function (item, i) {
        var li = make('li', 'sql-' + item.kind, 'sql-option-' + i, item.name);
        li.setAttribute('role', 'option');
        list.appendChild(li);
      });
      list.hidden = false;
      box.setAttribute('aria-expanded', 'true');
      choose(0);
      if (texts) { tell(say('suggestions', { count: items.length })); }
    }
    function accept(i) {
      var name = items[i].name, end = box.selectionStart;
      close();
      box.focus();
      box.setSelectionRange(word.start, end);
      accepting = true;
      // insertText keeps the browser's undo history; setRangeText where it is not supported.
      var done = false;
      try { done = document.execCommand('insertText', false, name); } catch (err) { done = false; }
      accepting = false;
      if (!done) { box.setRangeText(name, word.start, end, 'end'); }
      paint();
    }

    box.addEventListener('input', function () { if (!accepting) { open(); } });
    box.addEventListener('blur', close);
    box.addEventListener('mousedown', close);
    box.addEventListener('keydown', function (e) {
      if (list.hidden || e.isComposing || e.keyCode === 229) { return; }
      var plain = !(e.ctrlKey || e.metaKey || e.altKey || e.shiftKey);
      if (plain && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
        e.preventDefault();
        choose(active + (e.key === 'ArrowDown' ? 1 : -1));
      } else if (plain && (e.key === 'Enter' || e.key === 'Tab')) {
        e.preventDefault();
        accept(active);
      } else if (e.key === 'Escape') {
        e.preventDefault();
        close();
      } else if (/^(Arrow|Page|Home|End|Enter|Tab)/.test(e.key)) {
        close(); // the caret moves, a line starts or focus leaves; Ctrl+Enter still runs the query
      }
    });
    list.addEventListener('mousedown', function (e) { e.preventDefault(); }); // focus stays in the box
    list.addEventListener('click', function (e) {
      var li = e.target.closest && e.target.closest('li[role=option]');
      if (li) { accept(Array.prototype.indexOf.call(list.children, li)); }
    });
  }

  function pager(body, table) {
    var size = parseInt(texts.getAttribute('data-page-size'), 10), page = 0;
    if (!(size > 0) || body.length <= size) { return; }
    var nav = make('nav', 'pager'), prev = make('button', '', 'page-prev', say('previous'));
    var next = make('button', '', 'page-next', say('next')), status = make('span', '', 'page-status');
    nav.setAttribute('aria-label', say('pager-label'));
    status.setAttribute('aria-live', 'polite');
    [prev, next, status].forEach(function (el) { nav.appendChild(el); });
    table.parentNode.insertBefore(nav, table.nextSibling);
    function show(p) {
      var b = pageBounds(p, size, body.length);
      page = b.page;
      for (var i = 0; i < body.length; i++) { body[i].hidden = i < b.from - 1 || i >= b.to; }
      prev.disabled = page === 0;
      next.disabled = page === b.pages - 1;
      status.textContent = say('rows', { from: b.from, to: b.to, total: body.length });
    }
    // At either end the button pressed is disabled: focus goes to the other, not to the page.
    prev.addEventListener('click', function () { show(page - 1); if (prev.disabled) { next.focus(); } });
    next.addEventListener('click', function () { show(page + 1); if (next.disabled) { prev.focus(); } });
    show(0);
  }

  // One query at a time, from any form.query of the page.
  function progress(forms) {
    var shown = null, timer = null, run = null;
    function stop() {
      clearInterval(timer);
      if (shown) { shown.parentNode.removeChild(shown); }
      if (run) { run.disabled = false; }
      shown = run = null;
    }
    Array.prototype.forEach.call(forms, function (form) { form.addEventListener('submit', submitted); });
    function submitted(e) {
      if (shown) { e.preventDefault(); return; } // already running: no second submission
      if (e.defaultPrevented) { return; }
      var form = e.target, url = form.getAttribute('data-cancel-url'), started = Date.now(), cancelling = false;
      run = e.submitter || form.querySelector('button[type=submit], button:not([type])');
      var note = make('p', '', 'query-progress');
      note.setAttribute('role', 'status');
      shown = make('div', 'query-running');
      shown.appendChild(note);
      function tick() {
        if (!cancelling) { note.textContent = say('running', { seconds: Math.floor((Date.now() - started) / 1000) }); }
      }
      tick();
      timer = setInterval(tick, 1000);
      if (url) {
        var cancel = make('button', '', 'query-cancel', say('cancel'));
        shown.appendChild(cancel);
        cancel.addEventListener('click', function () {
          if (cancelling) { return; }
          cancelling = true;
          cancel.setAttribute('aria-disabled', 'true'); // not disabled: focus stays on it
          note.textContent = say('cancelling');
          var meta = document.querySelector('meta[name="csrf-token"]');
          var token = meta ? meta.getAttribute('content') : (form.elements.csrf_token || {}).value || '';
          fetch(url, { method: 'POST', credentials: 'same-origin',
                       headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                       body: 'csrf_token=' + encodeURIComponent(token) })
            .then(function (r) { if (!r.ok) { throw new Error(r.status); } })
            .catch(function () { cancelling = false; cancel.removeAttribute('aria-disabled'); tick(); });
        });
      }
      if (run) { run.parentNode.insertBefore(shown, run.nextSibling); } else { form.appendChild(shown); }
      // Disabled after this event, so that the submission itself goes ahead.
      setTimeout(function () { if (shown && run) { run.disabled = true; } }, 0);
    }
    // Back to this page from the history: nothing runs any more.
    window.addEventListener('pageshow', function (e) { if (e.persisted) { stop(); } });
  }

  function sessionWarning() {
    var warning = document.getElementById('session-warning');
    if (!warning) { return; }
    var idle = parseInt(warning.getAttribute('data-idle-seconds'), 10);
    if (!(idle > 0)) { return; }
    var timers = [];
    function arm() {
      timers.forEach(clearTimeout);
      warning.hidden = true;
      var before = Math.min(120, idle / 2);
      timers = [
        setTimeout(function () { warning.hidden = false; }, (idle - before) * 1000),
        setTimeout(function () { window.location.assign('/signin'); }, idle * 1000 + 500)
      ];
    }
    var stay = document.getElementById('session-stay');
    if (stay) {
      stay.addEventListener('click', function () {
        fetch('/session/alive', { credentials: 'same-origin', cache: 'no-store' }).then(arm);
      });
    }
    arm();
  }
})(typeof globalThis !== 'undefined' ? globalThis : this);
