/*
 * A lazy stand-in for the global `mermaid` object (about 1 KB, on every page).
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
 */
(function () {
  "use strict";
  if (window.mermaid && window.mermaid.lazyStandIn) return;

  // Absolute URL, resolved once: instant navigation keeps this script alive
  // while the page path changes underneath it.
  var librarySrc = new URL("vendor/mermaid/mermaid.esm.min.mjs", document.currentScript.src).href;
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
      // mermaid2 passes the `arguments` from mkdocs.yml as window.mermaidConfig.
      var site = (window.mermaidConfig && window.mermaidConfig["default"]) || {};
      options = Object.assign({}, site, material);
    },
    render: function (id, text) {
      return nearViewport(text).then(loadLibrary).then(function (real) {
        return real.render(id, text);
      });
    }
  };
  window.mermaid = standIn;
})();
