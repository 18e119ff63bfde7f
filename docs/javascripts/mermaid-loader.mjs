/*
 * A lazy stand-in for the global `mermaid` object (about 1 KB, on every page),
 * used only when the build left a diagram for the browser (hooks/diagrams.py).
 *
 * Material's bundle draws each <pre class="mermaid"> by calling
 * mermaid.initialize() once and mermaid.render(id, text) per diagram; when no
 * global `mermaid` exists it fetches the library from a CDN instead. This
 * object is that global, so the site never reaches for a CDN, also after
 * instant navigation from a page without diagrams. The first time a diagram
 * comes near the viewport it imports the self-hosted ES module build of
 * Mermaid (vendor/mermaid/, copied from node_modules at build time), which in
 * turn loads only the code of the diagram types on the page. Pages without
 * diagrams download no Mermaid bytes, and first paint never waits for it.
 *
 * An ES module, so no <script> that loads it can hold up the first paint:
 * overrides/main.html lists it with Material's scripts on every page of a
 * build that left a diagram for the browser. A module runs once per
 * document, however often it is imported.
 */
const standIn = (function () {
  "use strict";
  if (window.mermaid && window.mermaid.lazyStandIn) return window.mermaid;

  // Absolute URL, resolved once: instant navigation keeps this module alive
  // while the page path changes underneath it.
  var librarySrc = new URL("vendor/mermaid/mermaid.esm.min.mjs", import.meta.url).href;
  var options = {};
  var library = null;

  function loadLibrary() {
    if (!library) {
      library = import(librarySrc).then(function (module) {
        var real = module.default;
        real.initialize(options);
        return real;
      }, function (error) {
        library = null;
        throw new Error("Mermaid could not be loaded from " + librarySrc + ": " + error.message);
      });
    }
    return library;
  }

  // Material re-adds the "mermaid" class to the <pre> right before render().
  function nearViewport(text) {
    var pre = Array.prototype.find.call(
      document.querySelectorAll("pre.mermaid"),
      function (el) { return el.textContent === text; }
    );
    if (!pre || !("IntersectionObserver" in window)) return Promise.resolve();
    return new Promise(function (resolve) {
      var observer = new IntersectionObserver(function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) {
          observer.disconnect();
          resolve();
        }
      }, { rootMargin: "400px 0px" });
      observer.observe(pre);
    });
  }

  var standIn = {
    lazyStandIn: true,
    initialize: function (material) {
      // The same sanitising as the build's renderer (hooks/diagrams.py).
      options = Object.assign({}, material, { securityLevel: "strict" });
    },
    render: function (id, text) {
      return nearViewport(text).then(loadLibrary).then(function (real) {
        return real.render(id, text);
      });
    }
  };
  window.mermaid = standIn;
  return standIn;
})();

export default standIn;
