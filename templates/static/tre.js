// The platform's only script: small, written here, no build step; every page works without it.
// 1. Ctrl+Enter (Cmd+Enter on a Mac) in a SQL box submits its form.
// 2. On a signed-in page, a warning shows before the session would end for lack of use
//    (two minutes before, or half the idle time when that is shorter); "Stay signed in"
//    touches the session and starts the count again. When the time is up, the page goes to
//    the sign-in page, so that nothing stays on screen of a session that has ended.
(function () {
  'use strict';
  document.addEventListener('keydown', function (e) {
    var box = e.target;
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && box && box.tagName === 'TEXTAREA' &&
        box.name === 'sql' && box.form) {
      e.preventDefault();
      if (box.form.requestSubmit) { box.form.requestSubmit(); } else { box.form.submit(); }
    }
  });

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
})();
