/* The portal's only script of its own, loaded in <head> (no inline scripts: the
   Content-Security-Policy allows scripts from our static files only). */

// Before the page is drawn: with scripts on, htmx updates the page as choices change, so
// the "Show …" buttons meant for pages without scripts hide at once. (Admin's pages that
// load this script have no "no-js" class to take away.)
document.documentElement.classList.remove("no-js");
document.documentElement.classList.add("js");

// A page that comes back with form errors starts at their summary; htmx swaps keep focus
// where it was (on elements with an id).
document.addEventListener("DOMContentLoaded", () => document.querySelector(".form-errors")?.focus());
