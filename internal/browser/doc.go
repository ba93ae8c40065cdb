// Package browser opens pages in headless Chromium for tests: it records
// what a page reports as broken (console errors, uncaught exceptions,
// JavaScript dialogs), measures how long it takes to load, evaluates
// expressions, counts elements and takes screenshots.
//
// Chromium is Debian's /usr/bin/chromium, or the binary named by $CHROMIUM.
// When it is absent the test is skipped, and in CI (CI set) it fails.
//
// Only tests import browser; it must not be imported by shipped code.
package browser
