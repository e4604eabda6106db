// Sorting, filtering and searching of the findings tables. The page is
// complete without this script: it only hides rows, reorders them within
// their stage, and reads or writes the filter in the address's fragment
// (#severity=critical,high&stage=webshell-use&q=text&sort=time-desc), so a
// filtered view can be shared. It never inserts markup: evidence stays
// text.
(function () {
  "use strict";
  var doc = document;

  function params() {
    var out = {}, h = location.hash.slice(1);
    if (h.indexOf("=") < 0) {
      return null; // a plain anchor, such as a milestone's link to a row
    }
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i <= 0) {
        return;
      }
      try {
        out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " "));
      } catch (e) {
        // A malformed escape in a hand-typed address: ignore that pair.
      }
    });
    return out;
  }

  function rowText(row) {
    if (row._text === undefined) {
      row._text = row.textContent.toLowerCase();
    }
    return row._text;
  }

  function Table(form) {
    this.form = form;
    this.table = doc.getElementById(form.getAttribute("data-table"));
    this.rows = this.table ? Array.prototype.slice.call(this.table.querySelectorAll("tr.finding")) : [];
    this.output = form.querySelector("output");
    this.sortKey = -1;
    this.sortDir = 1;
  }

  Table.prototype.state = function () {
    var sev = [], f = this.form;
    Array.prototype.forEach.call(f.querySelectorAll("input[name=severity]"), function (b) {
      if (b.checked) {
        sev.push(b.value);
      }
    });
    return { severity: sev, stage: f.elements.stage.value, q: f.elements.q.value.trim().toLowerCase() };
  };

  Table.prototype.apply = function () {
    var st = this.state(), shown = 0;
    this.rows.forEach(function (row) {
      var ok = st.severity.indexOf(row.getAttribute("data-severity")) >= 0 &&
        (st.stage === "" || row.getAttribute("data-group") === st.stage) &&
        (st.q === "" || rowText(row).indexOf(st.q) >= 0);
      row.hidden = !ok;
      if (ok) {
        shown++;
      }
    });
    if (this.table) {
      Array.prototype.forEach.call(this.table.tBodies, function (body) {
        body.hidden = body.querySelector("tr.finding:not([hidden])") === null;
      });
    }
    if (this.output) {
      this.output.textContent = "Showing " + shown + " of " + this.rows.length + " findings";
    }
  };

  Table.prototype.set = function (p) {
    var f = this.form;
    if (p.severity !== undefined) {
      var want = p.severity.toLowerCase().split(",");
      Array.prototype.forEach.call(f.querySelectorAll("input[name=severity]"), function (b) {
        b.checked = p.severity === "" || want.indexOf(b.value) >= 0;
      });
    }
    if (p.stage !== undefined) {
      f.elements.stage.value = p.stage;
      if (f.elements.stage.value !== p.stage) {
        f.elements.stage.value = "";
      }
    }
    if (p.q !== undefined) {
      f.elements.q.value = p.q;
    }
    if (p.sort) {
      var m = /^(severity|time|rule|where)(-desc)?$/.exec(p.sort);
      if (m) {
        this.sort(["severity", "time", "rule", "where"].indexOf(m[1]), m[2] ? -1 : 1);
      }
    }
    this.apply();
  };

  Table.prototype.clear = function () {
    this.set({ severity: "", stage: "", q: "" });
  };

  // sort orders the rows of each stage by one column, keeping the stages
  // in attack order.
  Table.prototype.sort = function (col, dir) {
    if (!this.table || col < 0) {
      return;
    }
    this.sortKey = col;
    this.sortDir = dir;
    var numeric = col === 0;
    Array.prototype.forEach.call(this.table.tBodies, function (body) {
      var rows = Array.prototype.slice.call(body.querySelectorAll("tr.finding"));
      var keyed = rows.map(function (row, i) {
        var cell = row.cells[col], k = cell.getAttribute("data-sort");
        if (k === null) {
          k = cell.textContent.toLowerCase();
        }
        return { row: row, key: numeric ? Number(k) : k, i: i };
      });
      keyed.sort(function (a, b) {
        if (a.key < b.key) {
          return -dir;
        }
        if (a.key > b.key) {
          return dir;
        }
        return a.i - b.i;
      });
      keyed.forEach(function (k) {
        body.appendChild(k.row);
      });
    });
    Array.prototype.forEach.call(this.table.tHead.rows[0].cells, function (th, i) {
      if (th.hasAttribute("data-sort")) {
        th.setAttribute("aria-sort", i === col ? (dir > 0 ? "ascending" : "descending") : "none");
      }
    });
  };

  Table.prototype.hash = function () {
    var st = this.state(), parts = [];
    if (st.severity.length !== this.form.querySelectorAll("input[name=severity]").length) {
      parts.push("severity=" + st.severity.join(","));
    }
    if (st.stage) {
      parts.push("stage=" + encodeURIComponent(st.stage));
    }
    if (st.q) {
      parts.push("q=" + encodeURIComponent(st.q));
    }
    if (this.sortKey >= 0) {
      parts.push("sort=" + ["severity", "time", "rule", "where"][this.sortKey] + (this.sortDir < 0 ? "-desc" : ""));
    }
    return parts.join("&");
  };

  var tables = Array.prototype.map.call(doc.querySelectorAll("form.filters"), function (form) {
    return new Table(form);
  });

  function remember(t) {
    try {
      history.replaceState(null, "", "#" + t.hash());
    } catch (e) {
      // Some browsers refuse to change the address of a local file.
    }
  }

  tables.forEach(function (t) {
    t.form.hidden = false;
    t.form.addEventListener("submit", function (e) {
      e.preventDefault();
    });
    t.form.addEventListener("input", function () {
      t.apply();
      remember(t);
    });
    t.form.addEventListener("change", function () {
      t.apply();
      remember(t);
    });
    if (t.table) {
      Array.prototype.forEach.call(t.table.tHead.rows[0].cells, function (th, i) {
        if (!th.hasAttribute("data-sort")) {
          return;
        }
        var b = doc.createElement("button");
        b.type = "button";
        b.className = "sort";
        b.textContent = th.textContent;
        th.textContent = "";
        th.appendChild(b);
        th.setAttribute("aria-sort", "none");
        b.addEventListener("click", function () {
          t.sort(i, t.sortKey === i ? -t.sortDir : (i === 0 ? -1 : 1));
          remember(t);
        });
      });
    }
  });

  function fromAddress() {
    var p = params();
    if (p) {
      tables.forEach(function (t) {
        t.set(p);
      });
      return;
    }
    tables.forEach(function (t) {
      t.apply();
    });
    // A link to a row the filter hides shows every row again.
    var target = location.hash.length > 1 ? doc.getElementById(location.hash.slice(1)) : null;
    if (target && target.hidden) {
      tables.forEach(function (t) {
        if (t.rows.indexOf(target) >= 0) {
          t.clear();
        }
      });
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", fromAddress);
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(doc.querySelectorAll("details"), function (d) {
      d.open = true;
    });
  });
  fromAddress();
  doc.documentElement.setAttribute("data-report-ready", "1");
})();
